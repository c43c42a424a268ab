import { cpSync, existsSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';

/**
 * initdb of PGlite takes seconds; every embedded store a test opens is a copy of one initialised (empty,
 * unmigrated) folder instead, built once per PGlite version in the temp folder.
 */
export async function pgliteTemplate(): Promise<string> {
  const pkg = join(dirname(require.resolve('@electric-sql/pglite')), '..', 'package.json');
  const { version } = JSON.parse(readFileSync(pkg, 'utf8')) as { version: string };
  const dir = join(tmpdir(), `iam-key-monitor-pglite-template-${version}`);
  if (existsSync(join(dir, 'PG_VERSION'))) {
    return dir;
  }
  const building = mkdtempSync(join(tmpdir(), 'iam-key-monitor-pglite-build-'));
  const db = await PGlite.create({ dataDir: building, initialMemory: 128 * 1024 * 1024 });
  await db.close();
  try {
    renameSync(building, dir);
  } catch {
    rmSync(building, { recursive: true, force: true });
  }
  return dir;
}

/** A fresh DATA_DIR of its own (the embedded store is one process per folder), and how to remove it. */
export async function freshDataDir(): Promise<{ dir: string; remove(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'iam-key-monitor-data-'));
  cpSync(await pgliteTemplate(), dir, { recursive: true });
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
