import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Handlebars from 'handlebars';

// The page templates are the .hbs files beside this module. tsc does not emit them: every build
// copies the non-TypeScript files of src/ next to the compiled code (scripts/copy-assets.mjs),
// so dist/, the test build and the Docker image find them the same way. They are read once, when
// the view modules load, never per request.

/** A compiled page or fragment: Handlebars escapes every {{value}}. */
export type PageTemplate = (context: object) => string;

// A private instance: the partials registered here cannot clash with anyone else's.
const handlebars = Handlebars.create();

const MISSING =
  'the build copies src/web/templates beside the compiled code (scripts/copy-assets.mjs)';

// Parsed on loading, so that a broken template stops the start, not the first request for it.
function source(relative: string): string {
  const path = join(__dirname, relative);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`Page template ${path} is missing: ${MISSING}`, { cause: error });
  }
  // Template files end with a newline like any text file; the rendered fragments never did.
  text = text.replace(/\r?\n$/, '');
  handlebars.parse(text);
  return text;
}

function partialFiles(): string[] {
  try {
    return readdirSync(join(__dirname, 'partials')).filter((file) => file.endsWith('.hbs'));
  } catch (error) {
    throw new Error(`Page templates are missing from ${__dirname}: ${MISSING}`, { cause: error });
  }
}

// The shared fragments in partials/, as {{> file-name}}.
for (const file of partialFiles()) {
  handlebars.registerPartial(file.slice(0, -'.hbs'.length), source(join('partials', file)));
}

/** The template in `<name>.hbs` (a path below the templates folder, without the extension). */
export function pageTemplate(name: string): PageTemplate {
  return handlebars.compile(source(`${name}.hbs`));
}
