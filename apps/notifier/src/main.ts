import 'reflect-metadata';
import { runNotifier } from './run-notifier';

void runNotifier().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(2);
  },
);
