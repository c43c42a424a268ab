import { redactUserinfo } from '@app/platform';
import { startApi } from './bootstrap';

startApi().catch((err: unknown) => {
  // Config errors name the bad variable; nothing else about the environment is printed.
  console.error(redactUserinfo(err instanceof Error ? err.message : String(err)));
  process.exit(1);
});
