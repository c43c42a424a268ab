import 'reflect-metadata';
import { runScanner } from './run-scanner';

void runScanner().then(
  (code) => process.exit(code),
  (err: unknown) => {
    // Only the message: a stack names files and may carry values from the environment.
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(2);
  },
);
