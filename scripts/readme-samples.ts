/**
 * `npm run readme:samples`: writes the README's sample answers from what the demo account really answers, so
 * the README never shows a count or a date the demo does not give (test/readme-samples.e2e-spec.ts checks it).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startApiOnEmulator } from '../test/support/api-harness';
import { demoHarnessOptions } from './demo/demo-account';
import { format } from 'prettier';
import { askDemo, costBlock, measureCosts, renderCosts, sampleBlock, type SampleAnswer } from './demo/demo-samples';

async function main(): Promise<void> {
  const readmePath = path.resolve(__dirname, '../README.md');
  const api = await startApiOnEmulator(demoHarnessOptions());
  let answers;
  try {
    answers = await askDemo(api.url);
  } finally {
    await api.close();
  }
  const failed = answers.filter((a) => a.status !== 200);
  if (failed.length > 0) {
    throw new Error(`the demo answered ${failed.map((a) => `${a.sample.id}: ${a.status}`).join(', ')}`);
  }
  const costs = renderCosts(await measureCosts((env) => startApiOnEmulator(demoHarnessOptions(env))));
  let readme = await withSamples(readFileSync(readmePath, 'utf8'), answers);
  if (!costBlock.test(readme)) {
    throw new Error('README.md has no <!-- demo-costs --> block');
  }
  readme = readme.replace(
    costBlock,
    (_all, open: string, _old: string, close: string) => `${open}\n${costs}\n\n${close}`,
  );
  writeFileSync(readmePath, await format(readme, { parser: 'markdown', printWidth: 120, proseWrap: 'preserve' }));
  process.stdout.write('README.md: the sample answers and the cost table written\n');
}

/** The README with each sample block replaced by the answer, formatted as Prettier formats the README. */
async function withSamples(readme: string, answers: SampleAnswer[]): Promise<string> {
  let out = readme;
  for (const { sample, body } of answers) {
    const block = sampleBlock(sample.id);
    if (!block.test(out)) {
      throw new Error(`README.md has no <!-- demo-sample:${sample.id} --> block`);
    }
    const json = await format(JSON.stringify(body), { parser: 'json', printWidth: 120 });
    out = out.replace(block, (_all, open: string, _old: string, close: string) => `${open}${json}${close}`);
  }
  return out;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
