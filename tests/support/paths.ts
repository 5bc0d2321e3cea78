import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** Repository root (this file compiles to tests/dist/support/paths.js). */
export const repoRoot: string = fileURLToPath(new URL('../../../', import.meta.url));

/** Directory of the python and shell client drivers (source tree, not compiled). */
export const clientsDir: string = join(repoRoot, 'tests', 'clients');

/** The Debian python: the pyenv python first on PATH cannot import Debian's kafka packages. */
export const systemPython = '/usr/bin/python3';
