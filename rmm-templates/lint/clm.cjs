// Constrained Language Mode rule for lint.cjs. Hosts under WDAC/AppLocker
// run scripts from RMM folders in ConstrainedLanguage, where only the core
// types below may be named, converted to or called, New-Object makes only
// those (and three COM classes), and Add-Type cannot compile code
// (about_Language_Modes, Windows PowerShell 5.1). A blocked construct throws
// at run time, so a script that uses one outside a FullLanguage guard
// breaks only on the hardened hosts. This rule finds them statically.
//
// The one exception: code a line `# CLM exception: <why>` marks, either
//   - the then-block of `if ($ExecutionContext.SessionState.LanguageMode -eq 'FullLanguage')`, or
//   - a function, every call of which is itself inside such a block or such
//     a function (so the function cannot run under CLM).
// [adsi] and [adsisearcher] are core types (allowed), as the document says.
'use strict';

// Accelerators and full names of the allowed types, lower case.
const allowedTypes = new Set([
  'adsi', 'adsisearcher', 'alias', 'allowemptycollection', 'allowemptystring', 'allownull',
  'argumentcompleter', 'argumentcompletions', 'array', 'bigint', 'bool', 'byte', 'char',
  'cimclass', 'cimconverter', 'ciminstance', 'cimsession', 'cimtype', 'cmdletbinding',
  'cultureinfo', 'datetime', 'decimal', 'double', 'dsclocalconfigurationmanager', 'dscproperty',
  'dscresource', 'float', 'guid', 'hashtable', 'int', 'int16', 'int32', 'int64', 'ipaddress',
  'ipendpoint', 'long', 'mailaddress', 'microsoft.powershell.commands.modulespecification',
  'nullstring', 'object[]', 'objectsecurity', 'ordered', 'outputtype', 'parameter',
  'physicaladdress', 'pscredential', 'pscustomobject', 'psdefaultvalue', 'pslistmodifier',
  'psobject', 'psprimitivedictionary', 'pstypenameattribute', 'ref', 'regex', 'sbyte',
  'securestring', 'semver', 'short', 'single', 'string', 'supportswildcards', 'switch',
  'timespan', 'uint', 'uint16', 'uint32', 'uint64', 'ulong', 'uri', 'ushort', 'validatecount',
  'validatedrive', 'validatelength', 'validatenotnull', 'validatenotnullorempty',
  'validatepattern', 'validaterange', 'validatescript', 'validateset', 'validatetrusteddata',
  'validateuserdrive', 'version', 'void', 'wildcardpattern', 'wmi', 'wmiclass', 'wmisearcher',
  'x500distinguishedname', 'x509certificate', 'xml',
  // The same types by their .NET names (with or without System.).
  'system.string', 'system.int32', 'system.int64', 'system.int16', 'system.boolean',
  'system.byte', 'system.char', 'system.datetime', 'system.decimal', 'system.double',
  'system.single', 'system.guid', 'system.timespan', 'system.uri', 'system.version',
  'system.collections.hashtable', 'system.management.automation.psobject',
  'system.management.automation.pscustomobject', 'system.management.automation.switchparameter',
  'system.text.regularexpressions.regex', 'system.xml.xmldocument', 'system.object[]',
  'boolean', 'object[]',
]);
const allowedCom = new Set(['scripting.dictionary', 'scripting.filesystemobject', 'vbscript.regexp']);

function allowedType(name) {
  let n = name.replace(/\s+/g, '').toLowerCase();
  if (allowedTypes.has(n)) return true;
  n = n.replace(/(\[\])+$/, ''); // arrays of an allowed type
  return allowedTypes.has(n) || allowedTypes.has('system.' + n);
}

const guardCond = /^\$executioncontext\.sessionstate\.languagemode-eq'fulllanguage'$/;
const marker = /^\s*#\s*CLM exception:\s*\S/i;

function markedAt(lines, node) {
  return node.startPosition.row > 0 && marker.test(lines[node.startPosition.row - 1]);
}

// The guarded then-block of an if, or null.
function guardedBlock(ifNode, lines) {
  if (!markedAt(lines, ifNode)) return null;
  let cond = null;
  let block = null;
  for (let i = 0; i < ifNode.childCount; i++) {
    const c = ifNode.child(i);
    if (!cond && c.type === 'pipeline') cond = c;
    if (!block && c.type === 'statement_block') block = c;
  }
  if (!cond || !block) return null;
  return guardCond.test(cond.text.replace(/\s+/g, '').toLowerCase()) ? block : null;
}

function within(node, outer) {
  return node.startIndex >= outer.startIndex && node.endIndex <= outer.endIndex;
}

// Where a node is: inside a guarded block, or inside which marked function.
function context(node, lines) {
  let fn = null;
  for (let p = node.parent; p; p = p.parent) {
    if (p.type === 'if_statement') {
      const b = guardedBlock(p, lines);
      if (b && within(node, b)) return { guarded: true };
    }
    if (p.type === 'function_statement' && !fn) {
      const nameNode = p.children.find((c) => c.type === 'function_name');
      fn = { name: nameNode ? nameNode.text.toLowerCase() : '', marked: markedAt(lines, p) };
    }
  }
  return { guarded: false, fn };
}

function commandInfo(cmd) {
  const nameNode = cmd.children.find((c) => c.type === 'command_name');
  const elems = cmd.children.find((c) => c.type === 'command_elements');
  const args = [];
  if (elems) {
    for (const c of elems.children) {
      if (c.type !== 'command_argument_sep') args.push(c);
    }
  }
  return { name: nameNode ? nameNode.text.toLowerCase() : '', args };
}

// The type New-Object makes: -TypeName X, -ComObject X, or the first
// positional argument.
function newObjectType(args) {
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.type === 'command_parameter') {
      const p = a.text.toLowerCase();
      if (p.startsWith('-c') && i + 1 < args.length) return { com: true, name: args[i + 1].text };
      if (p.startsWith('-t') && i + 1 < args.length) return { com: false, name: args[i + 1].text };
      i++; // -ArgumentList / -Property value
      continue;
    }
    return { com: false, name: a.text };
  }
  return null;
}

function unquote(s) {
  return s.replace(/^['"]|['"]$/g, '');
}

// clmProblems returns "line:col: message" for every construct CLM blocks
// outside the exception.
function clmProblems(tree, text) {
  const lines = text.split('\n');
  const uses = []; // { node, what }
  const calls = []; // { node, name }
  (function walk(n) {
    if (n.type === 'type_literal') {
      const spec = n.children.find((c) => c.type === 'type_spec');
      const name = spec ? spec.text : n.text;
      if (!allowedType(name)) uses.push({ node: n, what: `type [${name}] is not a ConstrainedLanguage core type` });
    } else if (n.type === 'command') {
      const { name, args } = commandInfo(n);
      if (name === 'add-type') uses.push({ node: n, what: 'Add-Type cannot compile code under ConstrainedLanguage' });
      if (name === 'new-object') {
        const t = newObjectType(args);
        if (!t) uses.push({ node: n, what: 'New-Object without a type' });
        else if (t.com ? !allowedCom.has(unquote(t.name).toLowerCase()) : !allowedType(unquote(t.name))) {
          uses.push({ node: n, what: `New-Object ${unquote(t.name)} is not allowed under ConstrainedLanguage` });
        }
      }
      if (name) calls.push({ node: n, name });
    }
    for (let i = 0; i < n.childCount; i++) walk(n.child(i));
  })(tree.rootNode);

  const out = [];
  const at = (node) => `${node.startPosition.row + 1}:${node.startPosition.column + 1}`;
  for (const u of uses) {
    const c = context(u.node, lines);
    if (c.guarded) continue;
    if (c.fn && c.fn.marked) continue;
    out.push(`${at(u.node)}: ${u.what} (allowed only under a \`# CLM exception:\` FullLanguage guard)`);
  }
  // A marked function may run only where CLM cannot reach it.
  const marked = new Set();
  (function walk(n) {
    if (n.type === 'function_statement' && markedAt(lines, n)) {
      const nameNode = n.children.find((c) => c.type === 'function_name');
      if (nameNode) marked.add(nameNode.text.toLowerCase());
    }
    for (let i = 0; i < n.childCount; i++) walk(n.child(i));
  })(tree.rootNode);
  for (const call of calls) {
    if (!marked.has(call.name)) continue;
    const c = context(call.node, lines);
    if (c.guarded || (c.fn && c.fn.marked)) continue;
    out.push(`${at(call.node)}: ${call.name} is FullLanguage only (# CLM exception) but is called outside a FullLanguage guard`);
  }
  return out;
}

module.exports = { clmProblems, allowedType };
