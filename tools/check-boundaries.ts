// The workspace's module boundaries, checked from the source: `tsx tools/check-boundaries.ts [ROOT]`
// prints every violation (file, import, rule) and exits 1 when there is one.
//
// A file belongs to the package of the nearest directory above it with a package.json (the
// workspaces of the root package.json, else the root). Rules:
// - undeclared-workspace-import: a workspace package imported, by name or by a relative path that
//   leaves the importing package, is in the importer's dependencies or devDependencies;
// - import-outside-package: a package imports no file outside every package (the root's own files);
// - lib-imports-app: a package tagged type:lib in its project.json imports no type:app package;
// - app-imports-app: a type:app package imports no other type:app package (they run as processes);
// - undeclared-npm-import: an npm package imported is declared by the importer or by the root;
// - unused-dependency: a package (the root aside) declares only what its files import.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';

export type Rule =
  | 'undeclared-workspace-import'
  | 'import-outside-package'
  | 'lib-imports-app'
  | 'app-imports-app'
  | 'undeclared-npm-import'
  | 'unused-dependency';

export interface Violation {
  /** The importing file (or the package.json), relative to the root, with forward slashes. */
  file: string;
  line: number;
  /** The import as written. */
  specifier: string;
  rule: Rule;
  message: string;
}

interface Manifest {
  name?: string;
  workspaces?: string[];
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

interface Package {
  name: string;
  /** Relative to the root, forward slashes; '' for the root package. */
  dir: string;
  manifest: Manifest;
  tags: string[];
  /** Every name it declares, in any kind of dependency. */
  declared: Set<string>;
}

const SOURCE = /\.(?:[cm]?[jt]s|tsx)$/;
/** Modules located without importing them: a string given to require.resolve, createRequire(…).resolve or import.meta.resolve. */
const RESOLVED = /(?:\brequire|\bimport\.meta|\))\.resolve\(\s*(['"])([^'"\n]+)\1/g;
const SKIPPED_DIRS = new Set(['node_modules', 'dist', '.nx', '.git']);
const DEPENDENCY_FIELDS = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'] as const;

export function checkBoundaries(root: string): Violation[] {
  const packages = readPackages(root);
  const byName = new Map(packages.map((p) => [p.name, p]));
  const workspaceRoot = packages.find((p) => p.dir === '')!;
  const violations: Violation[] = [];
  for (const pkg of packages) {
    const imported = new Set<string>();
    for (const file of sourceFiles(root, pkg, packages)) {
      const text = readFileSync(join(root, file), 'utf8');
      for (const { specifier, pos } of references(text)) {
        const at = { file, line: text.slice(0, pos).split('\n').length, specifier };
        const target = classify(root, file, specifier, packages, byName);
        if (target.kind === 'builtin' || target.kind === 'own') continue;
        if (target.kind === 'outside') {
          violations.push({ ...at, rule: 'import-outside-package', message: `${where(at)} reaches ${target.path}, a file outside every package` });
          continue;
        }
        imported.add(target.name);
        if (target.kind === 'npm') {
          if (!declares(pkg, target.name) && !declares(workspaceRoot, target.name)) {
            violations.push({
              ...at,
              rule: 'undeclared-npm-import',
              message: `${where(at)}: the npm package '${target.name}' is declared ${pkg.dir ? `neither in ${manifestPath(pkg)} nor in the root package.json` : 'nowhere'}`,
            });
          }
          continue;
        }
        const other = target.pkg;
        if (!pkg.declared.has(other.name)) {
          violations.push({
            ...at,
            rule: 'undeclared-workspace-import',
            message: `${where(at)}: ${manifestPath(pkg)} does not declare the workspace package '${other.name}' in dependencies or devDependencies`,
          });
        }
        if (pkg.tags.includes('type:lib') && other.tags.includes('type:app')) {
          violations.push({ ...at, rule: 'lib-imports-app', message: `${where(at)}: the lib ${pkg.name} imports the app ${other.name}; libs never import apps` });
        }
        if (pkg.tags.includes('type:app') && other.tags.includes('type:app')) {
          violations.push({
            ...at,
            rule: 'app-imports-app',
            message: `${where(at)}: the app ${pkg.name} imports the app ${other.name}; apps never import apps (run it as a process, or move what is shared into a lib)`,
          });
        }
      }
    }
    if (pkg.dir !== '') violations.push(...unusedDependencies(pkg, imported));
  }
  return violations;
}

/** Every module the text imports or resolves, with the offset of its specifier. */
function references(text: string): { specifier: string; pos: number }[] {
  const imports = ts.preProcessFile(text, true, true).importedFiles.map((f) => ({ specifier: f.fileName, pos: f.pos }));
  const resolved = [...text.matchAll(RESOLVED)].map((m) => ({ specifier: m[2]!, pos: m.index! }));
  return [...imports, ...resolved];
}

type Target =
  | { kind: 'builtin' }
  | { kind: 'own' }
  | { kind: 'outside'; path: string }
  | { kind: 'npm'; name: string }
  | { kind: 'workspace'; name: string; pkg: Package };

function classify(root: string, file: string, specifier: string, packages: Package[], byName: Map<string, Package>): Target {
  if (specifier.startsWith('node:') || builtinModules.includes(specifier)) return { kind: 'builtin' };
  if (specifier.startsWith('.') || specifier.startsWith('/')) {
    const path = toPosix(relative(root, resolve(root, dirname(file), specifier)));
    const owner = ownerOf(path, packages);
    if (owner === ownerOf(file, packages)) return { kind: 'own' };
    if (owner.dir === '') return { kind: 'outside', path };
    return { kind: 'workspace', name: owner.name, pkg: owner };
  }
  const segments = specifier.split('/');
  const name = specifier.startsWith('@') ? segments.slice(0, 2).join('/') : segments[0]!;
  const pkg = byName.get(name);
  return pkg && pkg.dir !== '' ? { kind: 'workspace', name, pkg } : { kind: 'npm', name };
}

function unusedDependencies(pkg: Package, imported: Set<string>): Violation[] {
  const violations: Violation[] = [];
  for (const field of ['dependencies', 'devDependencies'] as const) {
    for (const name of Object.keys(pkg.manifest[field] ?? {})) {
      if (imported.has(name) || (name.startsWith('@types/') && imported.has(name.slice('@types/'.length)))) continue;
      violations.push({
        file: manifestPath(pkg),
        line: 1,
        specifier: name,
        rule: 'unused-dependency',
        message: `${manifestPath(pkg)}: declares '${name}' in ${field}, but no file of ${pkg.name} imports it`,
      });
    }
  }
  return violations;
}

/** The root package and its workspaces (`dir/*` and `dir` patterns). */
function readPackages(root: string): Package[] {
  const rootManifest = readJson<Manifest>(join(root, 'package.json'));
  const dirs = [''];
  for (const pattern of rootManifest.workspaces ?? []) {
    if (!pattern.endsWith('/*')) dirs.push(pattern);
    else {
      const parent = pattern.slice(0, -2);
      if (!existsSync(join(root, parent))) continue;
      for (const entry of readdirSync(join(root, parent), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
        if (entry.isDirectory()) dirs.push(`${parent}/${entry.name}`);
      }
    }
  }
  return dirs
    .filter((dir) => existsSync(join(root, dir, 'package.json')))
    .map((dir) => {
      const manifest = readJson<Manifest>(join(root, dir, 'package.json'));
      const project = join(root, dir, 'project.json');
      const tags = existsSync(project) ? (readJson<{ tags?: string[] }>(project).tags ?? []) : [];
      const declared = new Set(DEPENDENCY_FIELDS.flatMap((field) => Object.keys(manifest[field] ?? {})));
      return { name: manifest.name ?? (dir || '(root)'), dir, manifest, tags, declared };
    });
}

/** The package's source files, relative to the root, without those of packages nested in it. */
function sourceFiles(root: string, pkg: Package, packages: Package[]): string[] {
  const nested = new Set(packages.filter((p) => p !== pkg && (pkg.dir === '' || p.dir.startsWith(`${pkg.dir}/`))).map((p) => p.dir));
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(join(root, dir), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = dir ? `${dir}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name) && !entry.name.startsWith('.') && !nested.has(path)) walk(path);
      } else if (SOURCE.test(entry.name)) files.push(path);
    }
  };
  walk(pkg.dir);
  return files;
}

/** The package that holds `path` (relative to the root): the one with the longest directory above it. */
function ownerOf(path: string, packages: Package[]): Package {
  let owner = packages.find((p) => p.dir === '')!;
  for (const pkg of packages) {
    if (pkg.dir !== '' && (path === pkg.dir || path.startsWith(`${pkg.dir}/`)) && pkg.dir.length > owner.dir.length) owner = pkg;
  }
  return owner;
}

function declares(pkg: Package, name: string): boolean {
  return pkg.declared.has(name) || pkg.declared.has(`@types/${name.replace(/^@(.*)\//, '$1__')}`);
}

function manifestPath(pkg: Package): string {
  return pkg.dir ? `${pkg.dir}/package.json` : 'the root package.json';
}

function where(at: { file: string; line: number; specifier: string }): string {
  return `${at.file}:${at.line}: imports '${at.specifier}'`;
}

function toPosix(path: string): string {
  return path.split(sep).join('/');
}

function readJson<T>(path: string): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const root = resolve(process.argv[2] ?? '.');
  const violations = checkBoundaries(root);
  for (const violation of violations) process.stderr.write(`${violation.message} [${violation.rule}]\n`);
  if (violations.length > 0) {
    process.stderr.write(`module boundaries: ${violations.length} violation(s) under ${root}\n`);
    process.exit(1);
  }
  console.log(`module boundaries: no violations under ${root}`);
}
