#!/usr/bin/env bash
# Rebuilds node_modules/@helia/bitswap/dist from the package's own src/ (which the patch edits)
# with tsc, for every source file that differs from the published package, then regenerates
# patches/@helia+bitswap+<version>.patch. Edit node_modules/@helia/bitswap/src/*.ts, then run
#   bash patches/rebuild-bitswap.sh
# The untouched sources compile to exactly the shipped dist, so the dist hunks are the compiled
# src hunks and the src hunks can go upstream as they are.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
pkg="$root/node_modules/@helia/bitswap"
version="$(node -p "require('$pkg/package.json').version")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "@helia/bitswap@$version" >/dev/null && tar xzf ./*.tgz && mv package original)
mkdir -p "$work/build"
cp -a "$pkg/src" "$work/build/src"
echo '{"type":"module"}' > "$work/build/package.json"
ln -s "$pkg/node_modules" "$work/build/node_modules" 2>/dev/null || true
cat > "$work/build/tsconfig.json" <<'JSON'
{
  "compilerOptions": {
    "target": "ES2022", "module": "NodeNext", "moduleResolution": "NodeNext", "strict": true,
    "declaration": true, "declarationMap": false, "sourceMap": false, "outDir": "dist", "rootDir": "src",
    "skipLibCheck": true, "rewriteRelativeImportExtensions": true, "removeComments": false,
    "useDefineForClassFields": true, "verbatimModuleSyntax": true, "types": []
  },
  "include": ["src/**/*.ts"]
}
JSON
# The package's dependencies resolve from the project's node_modules.
ln -sfn "$root/node_modules" "$work/node_modules"
(cd "$work/build" && "$root/node_modules/.bin/tsc" -p .)
for ts in $(cd "$pkg/src" && find . -name '*.ts'); do
  f="${ts%.ts}"; f="${f#./}"
  if ! cmp -s "$pkg/src/$f.ts" "$work/original/src/$f.ts"; then
    for ext in js d.ts; do
      { cat "$work/build/dist/$f.$ext"; printf '//# sourceMappingURL=%s.%s.map' "$(basename "$f")" "$ext"; } > "$pkg/dist/src/$f.$ext"
    done
    echo "rebuilt dist/src/$f"
  fi
done
cd "$root" && npx patch-package @helia/bitswap --exclude 'package\.json$'
