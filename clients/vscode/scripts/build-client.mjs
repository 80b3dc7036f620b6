// Builds the TypeScript client the extension bundles (../typescript). A
// fresh clone has no dependencies there (`npm ci` in this directory
// installs only this package's), so they are installed first, from
// ../typescript's own lock file.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../../typescript/', import.meta.url));
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const run = (args) => execFileSync(npm, args, { cwd: dir, stdio: 'inherit' });

if (!existsSync(join(dir, 'node_modules', '.package-lock.json'))) {
  console.log(`build-client: installing the dependencies of ${dir}`);
  run(['ci', '--no-audit', '--no-fund', '--loglevel=error']);
}
run(['run', 'build']);
