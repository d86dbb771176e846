/**
 * The parts of README.md that must run as pasted: between `<!-- readme-test:start … -->` and
 * `<!-- readme-test:end -->` lines, every ```sh / ```bash block and every credential-table row
 * whose example is a `curl …` command, in the order they appear.
 */
export type ReadmeStep =
  | { kind: 'block'; line: number; code: string }
  | { kind: 'row'; line: number; label: string; command: string; method: string };

const START = '<!-- readme-test:start';
const END = '<!-- readme-test:end';
// | credential | `curl …` | `auth.method` |
const ROW = /^\|\s*([^|]+?)\s*\|\s*`(curl [^`]+)`\s*\|\s*`([a-z_]+)`\s*\|$/;

export function readmeSteps(markdown: string): ReadmeStep[] {
  const lines = markdown.split('\n');
  const steps: ReadmeStep[] = [];
  let inRegion = false;
  let fence: { shell: boolean; line: number; code: string[] } | null = null;
  lines.forEach((text, index) => {
    const line = index + 1;
    if (fence) {
      if (text.startsWith('```')) {
        if (fence.shell) {
          steps.push({ kind: 'block', line: fence.line, code: fence.code.join('\n') });
        }
        fence = null;
      } else {
        fence.code.push(text);
      }
      return;
    }
    if (text.startsWith(START)) {
      if (inRegion) {
        throw new Error(`README.md:${line}: readme-test:start inside a tested region`);
      }
      inRegion = true;
      return;
    }
    if (text.startsWith(END)) {
      if (!inRegion) {
        throw new Error(`README.md:${line}: readme-test:end without a start`);
      }
      inRegion = false;
      return;
    }
    if (text.startsWith('```')) {
      const language = text.slice(3).trim();
      fence = { shell: inRegion && (language === 'sh' || language === 'bash'), line, code: [] };
      return;
    }
    if (inRegion && text.startsWith('|') && text.includes('`curl ')) {
      const match = ROW.exec(text);
      if (!match) {
        throw new Error(`README.md:${line}: a table row with curl that this test cannot read`);
      }
      steps.push({ kind: 'row', line, label: match[1], command: match[2], method: match[3] });
    }
  });
  if (fence) {
    throw new Error('README.md: a code block is not closed');
  }
  if (inRegion) {
    throw new Error('README.md: readme-test:start without an end');
  }
  return steps;
}

/** Where the README's examples expect the server; the test substitutes its own server's. */
export const README_SERVER = 'http://127.0.0.1:3000';

export const stepMarker = (index: number, state: 'start' | 'ok'): string =>
  `@@readme-step ${index} ${state}`;

/**
 * One bash script that runs the steps in order in the same shell, as a reader pasting them
 * would, but with `set -euo pipefail` so that the first failing command stops it. Each block
 * is sourced from its own file (a syntax error stays in its step); a row's command prints the
 * JSON of /me, its curl progress meter going to a file.
 */
export function driverScript(
  steps: ReadmeStep[],
  serverUrl: string,
): {
  script: string;
  files: Record<string, string>;
} {
  const files: Record<string, string> = {};
  const out = [
    'set -euo pipefail',
    'exec 2>&1',
    // Names the command that stopped the script.
    `trap 'echo "readme-test: exit $? at: $BASH_COMMAND"' ERR`,
  ];
  steps.forEach((step, index) => {
    const body = (step.kind === 'block' ? step.code : step.command).replaceAll(
      README_SERVER,
      serverUrl,
    );
    const file = `step-${index}.sh`;
    files[file] = `${body}\n`;
    out.push(`printf '\\n%s\\n' '${stepMarker(index, 'start')}'`);
    out.push(step.kind === 'block' ? `. ./${file}` : `. ./${file} 2>step-${index}.err`);
    out.push(`printf '\\n%s\\n' '${stepMarker(index, 'ok')}'`);
  });
  return { script: `${out.join('\n')}\n`, files };
}

/** What step `index` printed, or null when it never finished. */
export function stepOutput(output: string, index: number): { done: boolean; text: string } {
  const start = output.indexOf(`\n${stepMarker(index, 'start')}\n`);
  if (start < 0) {
    return { done: false, text: '' };
  }
  const from = start + stepMarker(index, 'start').length + 2;
  const end = output.indexOf(`\n${stepMarker(index, 'ok')}\n`, from - 1);
  return end < 0
    ? { done: false, text: output.slice(from) }
    : { done: true, text: output.slice(from, end) };
}
