// Hooks get the tests' time: booting the AppModule opens an embedded store and migrates it, seconds on a busy machine.
// (`testTimeout` is a global option, which Jest ignores inside `projects`.)
jest.setTimeout(60_000);
