/** Quick mode's sizes and latency cannot show a timing target either way, so its rows are not judged. */
export function verdict(met: boolean, quick: boolean): string {
  if (quick) {
    return 'not judged (quick mode)';
  }
  return met ? 'met' : 'not met';
}
