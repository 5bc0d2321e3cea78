/** Runs the samsa command line; returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  console.error(`samsa: not implemented yet: ${argv.join(' ')}`);
  return 1;
}
