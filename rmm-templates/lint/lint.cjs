#!/usr/bin/env node
// Syntax gate for every PowerShell script in the repository: parses each
// .ps1 with tree-sitter-powershell (WASM, through web-tree-sitter) and fails
// on ERROR or MISSING nodes, printing file:line:column for each.
//   node rmm-templates/lint/lint.cjs [ROOT]     (ROOT defaults to the repository)
// It is a syntax check only: no semantics, no PSScriptAnalyzer rules. Known
// false positives of the grammar (go-libs.md section 6) are avoided in our
// scripts rather than allow-listed here.
'use strict';
const fs = require('fs');
const path = require('path');
const { Parser, Language } = require('web-tree-sitter');

const root = path.resolve(process.argv[2] || path.join(__dirname, '..', '..'));
const skipDirs = new Set(['.git', 'node_modules', 'dist', 'bench']);

function findScripts(dir, out) {
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    if (ent.isDirectory()) {
      if (!skipDirs.has(ent.name)) findScripts(path.join(dir, ent.name), out);
    } else if (ent.isFile() && ent.name.toLowerCase().endsWith('.ps1')) {
      out.push(path.join(dir, ent.name));
    }
  }
  return out;
}

function problems(node, out) {
  if (node.isError || node.isMissing) {
    const p = node.startPosition;
    const what = node.isMissing ? `missing ${node.type}` : 'syntax error';
    out.push(`${p.row + 1}:${p.column + 1}: ${what} near ${JSON.stringify(node.text.slice(0, 40))}`);
    if (node.isError) return out; // children of an ERROR node add only noise
  }
  for (let i = 0; i < node.childCount; i++) problems(node.child(i), out);
  return out;
}

(async () => {
  const started = Date.now();
  await Parser.init();
  const wasm = require.resolve('tree-sitter-powershell/tree-sitter-powershell.wasm');
  const lang = await Language.load(wasm);
  const parser = new Parser();
  parser.setLanguage(lang);
  const files = findScripts(root, []).sort();
  if (files.length === 0) {
    console.log(`no .ps1 files under ${root}`);
    process.exit(1);
  }
  let bad = 0;
  for (const f of files) {
    let text = fs.readFileSync(f, 'utf8');
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    const tree = parser.parse(text);
    const found = problems(tree.rootNode, []);
    tree.delete();
    const rel = path.relative(root, f);
    if (found.length) {
      bad++;
      for (const p of found) console.log(`${rel}:${p}`);
    }
  }
  console.log(`powershell lint: ${files.length} files parsed, ${bad} with errors (${Date.now() - started} ms)`);
  process.exit(bad ? 1 : 0);
})().catch((e) => {
  console.log(`powershell lint: ${e && e.stack ? e.stack : e}`);
  process.exit(2);
});
