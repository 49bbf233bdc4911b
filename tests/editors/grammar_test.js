#!/usr/bin/env node
// Checks the VS Code extension in editors/vscode/: its TextMate grammar
// (syntaxes/tutti.tmLanguage.json) against every .tutti file of the project
// and against targeted samples, its keywords against the lexer in
// grammar/Tutti.g4, and the manifest's paths.
//
// Node 18 or later, no packages: the TextMate tokenizer below implements what
// the grammar uses (match, begin/end with nested patterns, include "#name",
// "$self" and "$base", name, contentName, captures, beginCaptures,
// endCaptures, rules carried across lines) with JavaScript regular
// expressions, feeding each line with its "\n" as VS Code does. The grammar
// keeps to regex features that mean the same in Oniguruma and JavaScript;
// the test rejects the others.
//
// Run from the repository root: node tests/editors/grammar_test.js
'use strict';

const fs = require('node:fs');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
const EXT = path.join(ROOT, 'editors', 'vscode');
const GRAMMAR_PATH = path.join(EXT, 'syntaxes', 'tutti.tmLanguage.json');

let assertions = 0;
const failures = [];

function fail(message) {
  failures.push(message);
}

function check(condition, message) {
  assertions++;
  if (!condition) fail(message);
  return condition;
}

function rel(p) {
  return path.relative(ROOT, p);
}

// ------------------------------------------------------------ tokenizer

/** A grammar compiled for tokenizing; throws on features it does not know. */
class Grammar {
  constructor(json, label) {
    this.json = json;
    this.label = label;
    this.regexCache = new Map();
    this.flatCache = new Map();
    this.root = { patterns: json.patterns || [] };
  }

  regex(source) {
    let re = this.regexCache.get(source);
    if (!re) {
      // d: capture indices; g: search from lastIndex; m: ^ and $ at line
      // boundaries, as Oniguruma's are.
      re = new RegExp(source, 'dgm');
      this.regexCache.set(source, re);
    }
    return re;
  }

  /** The rules `rule.patterns` stands for, includes expanded, in order. */
  flatPatterns(rule) {
    let out = this.flatCache.get(rule);
    if (out) return out;
    out = [];
    const visiting = new Set();
    const expand = (patterns) => {
      for (const p of patterns || []) {
        if (p.include !== undefined) {
          const target = this.resolveInclude(p.include);
          if (visiting.has(target)) continue;  // a list including itself adds nothing new
          if (target.match !== undefined || target.begin !== undefined) {
            out.push(target);
          } else {
            visiting.add(target);
            expand(target.patterns);
            visiting.delete(target);
          }
        } else if (p.match !== undefined || p.begin !== undefined) {
          out.push(p);
        } else if (p.while !== undefined) {
          throw new Error(`${this.label}: begin/while rules are not supported by this test's tokenizer`);
        } else if (p.patterns) {
          expand(p.patterns);
        }
      }
    };
    visiting.add(rule);
    expand(rule.patterns);
    this.flatCache.set(rule, out);
    return out;
  }

  resolveInclude(include) {
    if (include === '$self' || include === '$base') return this.root;
    if (include.startsWith('#')) {
      const target = (this.json.repository || {})[include.slice(1)];
      if (!target) throw new Error(`${this.label}: include "${include}" names no repository entry`);
      return target;
    }
    throw new Error(`${this.label}: include "${include}" of another grammar is not supported`);
  }

  /** Tokenizes `text`; returns per line the scopes of each character, and the open rules at the end. */
  tokenize(text, where = this.label) {
    const lines = text.split(/\r?\n/);
    const stack = [{ rule: this.root, scopes: [this.json.scopeName], contentScopes: [this.json.scopeName] }];
    const result = [];
    lines.forEach((line, index) => {
      result.push(this.tokenizeLine(line, stack, `${where}:${index + 1}`, index));
    });
    return { lines: result, open: stack.slice(1) };
  }

  tokenizeLine(line, stack, where, lineIndex) {
    const text = line + '\n';
    const scopesAt = new Array(line.length);
    const paint = (from, to, scopes) => {
      for (let i = from; i < to && i < line.length; i++) scopesAt[i] = scopes.slice();
    };
    const applyCaptures = (match, captures) => {
      if (!captures) return;
      const groups = Object.keys(captures).map(Number).sort((a, b) => a - b);
      for (const g of groups) {
        const capture = captures[g];
        if (capture.patterns) throw new Error(`${where}: captures with patterns are not supported`);
        const span = match.indices[g];
        if (!span || !capture.name) continue;
        for (let i = span[0]; i < span[1] && i < line.length; i++) scopesAt[i].push(...splitScopes(capture.name));
      }
    };
    let pos = 0;
    let stalled = 0;
    while (pos <= line.length) {
      const top = stack[stack.length - 1];
      const candidates = [];
      if (top.endSource !== undefined && !top.rule.applyEndPatternLast) candidates.push({ end: true, source: top.endSource });
      for (const rule of this.flatPatterns(top.rule)) {
        candidates.push({ rule, source: rule.match !== undefined ? rule.match : rule.begin });
      }
      if (top.endSource !== undefined && top.rule.applyEndPatternLast) candidates.push({ end: true, source: top.endSource });
      let best = null;
      for (const c of candidates) {
        const re = this.regex(c.source);
        re.lastIndex = pos;
        const m = re.exec(text);
        if (m && (best === null || m.index < best.m.index)) best = { ...c, m };
      }
      if (best === null || best.m.index > line.length) {
        paint(pos, line.length, top.contentScopes);
        break;
      }
      const m = best.m;
      const start = m.index;
      const stop = start + m[0].length;
      paint(pos, start, top.contentScopes);
      const before = stack.length;
      if (best.end) {
        paint(start, stop, top.scopes);
        applyCaptures(m, top.rule.endCaptures || top.rule.captures);
        stack.pop();
      } else if (best.rule.match !== undefined) {
        const scopes = top.contentScopes.concat(splitScopes(best.rule.name));
        paint(start, stop, scopes);
        applyCaptures(m, best.rule.captures);
      } else {
        const scopes = top.contentScopes.concat(splitScopes(best.rule.name));
        paint(start, stop, scopes);
        applyCaptures(m, best.rule.beginCaptures || best.rule.captures);
        stack.push({
          rule: best.rule,
          scopes,
          contentScopes: scopes.concat(splitScopes(best.rule.contentName)),
          endSource: endWithBackReferences(best.rule.end, m),
          openedAt: `${where}:${start + 1}`,
          line: lineIndex,
        });
      }
      if (stop > pos) {
        pos = stop;
        stalled = 0;
      } else if (stack.length === before) {
        // A zero-width match that opens or closes nothing: step over one character.
        paint(pos, pos + 1, stack[stack.length - 1].contentScopes);
        pos++;
      } else if (++stalled > 64) {
        throw new Error(`${where}:${pos + 1}: the tokenizer makes no progress (rules open and close without consuming text)`);
      }
    }
    return { text: line, scopesAt };
  }
}

function splitScopes(name) {
  return name ? name.split(/\s+/).filter(Boolean) : [];
}

function endWithBackReferences(end, beginMatch) {
  if (end === undefined) throw new Error('a begin rule without an end');
  return end.replace(/\\(\d)/g, (_, n) => (beginMatch[n] || '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
}

// ------------------------------------------------------------ regex portability

/**
 * The regex features that differ between Oniguruma (VS Code, GitHub) and
 * JavaScript, or that JavaScript lacks, found in `source`; empty if none.
 * An `end` may refer to the captures of its `begin` (\1), which the
 * tokenizer substitutes before compiling.
 */
function unportable(source, key = 'match') {
  const problems = [];
  let inClass = false;
  let prevQuantifier = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i];
    if (c === '\\') {
      const n = source[i + 1];
      if ('GAzZhHKRXQEgk'.includes(n)) problems.push(`\\${n}`);
      if ('pP'.includes(n)) problems.push(`\\${n}{...} (needs the u flag in JavaScript)`);
      if (n === 'x' && source[i + 2] === '{') problems.push('\\x{...}');
      if (!inClass && /[1-9]/.test(n) && key !== 'end') problems.push(`back-reference \\${n}`);
      if ('wdWD'.includes(n)) {
        problems.push(`\\${n} (Unicode-aware in Oniguruma, ASCII in JavaScript; write the class out)`);
      }
      i++;
      prevQuantifier = false;
      continue;
    }
    if (inClass) {
      if (c === '[') problems.push("unescaped '[' inside a character class (a nested class in Oniguruma)");
      if (c === '&' && source[i + 1] === '&') problems.push("'&&' inside a character class (intersection in Oniguruma)");
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      if (source[i + 1] === '^') i++;
      if (source[i + 1] === ']') i++;  // a leading ']' is literal
      prevQuantifier = false;
      continue;
    }
    if (c === '(' && source[i + 1] === '?') {
      const rest = source.slice(i + 2, i + 4);
      if (rest.startsWith('<=') || rest.startsWith('<!')) problems.push('lookbehind');
      else if (rest.startsWith('<')) problems.push('named group');
      else if (rest.startsWith('>')) problems.push('atomic group');
      else if (rest.startsWith('#')) problems.push('comment group');
      else if (!rest.startsWith(':') && !rest.startsWith('=') && !rest.startsWith('!')) problems.push(`inline flags (?${rest}`);
    }
    if (c === '+' && prevQuantifier) problems.push('possessive quantifier');
    prevQuantifier = c === '+' || c === '*' || c === '?' || (c === '}' && /\{[0-9,]+$/.test(source.slice(0, i)));
  }
  return problems;
}

/** Every regex source in the grammar, with where it is. */
function grammarRegexes(json) {
  const out = [];
  const visit = (rule, where) => {
    if (!rule || typeof rule !== 'object') return;
    for (const key of ['match', 'begin', 'end', 'while']) {
      if (typeof rule[key] === 'string') out.push({ where: `${where}.${key}`, source: rule[key], rule, key });
    }
    (rule.patterns || []).forEach((p, i) => visit(p, `${where}.patterns[${i}]`));
  };
  (json.patterns || []).forEach((p, i) => visit(p, `patterns[${i}]`));
  for (const [name, rule] of Object.entries(json.repository || {})) visit(rule, `repository.${name}`);
  return out;
}

// ------------------------------------------------------------ an independent lexer

/**
 * Marks each character of `text` as in a comment ('c'), in a string or bytes
 * literal ('s'), or neither ('.'), following the lexer rules of
 * grammar/Tutti.g4; '\n' stays '.'.
 */
function classify(text) {
  const marks = new Array(text.length).fill('.');
  const mark = (from, to, m) => {
    for (let i = from; i < to; i++) if (text[i] !== '\n') marks[i] = m;
  };
  const PREFIXES = /^(?:[rRbB]|[rR][bB]|[bB][rR])$/;
  let i = 0;
  const string = (start, quoteAt, raw) => {
    const triple = text.startsWith('"""', quoteAt) || text.startsWith("'''", quoteAt);
    const q = text[quoteAt];
    let k = quoteAt + (triple ? 3 : 1);
    let end = text.length;
    while (k < text.length) {
      if (!raw && text[k] === '\\' && text[k + 1] !== '\n' && text[k + 1] !== undefined) {
        k += 2;
        continue;
      }
      if (triple && text.startsWith(q.repeat(3), k)) {
        end = k + 3;
        break;
      }
      if (!triple && text[k] === q) {
        end = k + 1;
        break;
      }
      if (!triple && text[k] === '\n') {
        end = k;
        break;
      }
      k++;
    }
    mark(start, end, 's');
    return end;
  };
  while (i < text.length) {
    const c = text[i];
    if (text.startsWith('//', i)) {
      const nl = text.indexOf('\n', i);
      const end = nl < 0 ? text.length : nl;
      mark(i, end, 'c');
      i = end;
    } else if (text.startsWith('/*', i)) {
      const close = text.indexOf('*/', i + 2);
      const end = close < 0 ? text.length : close + 2;
      mark(i, end, 'c');
      i = end;
    } else if (/[_a-zA-Z]/.test(c)) {
      let j = i + 1;
      while (j < text.length && /[_a-zA-Z0-9]/.test(text[j])) j++;
      const word = text.slice(i, j);
      if (PREFIXES.test(word) && (text[j] === '"' || text[j] === "'")) {
        i = string(i, j, /[rR]/.test(word));
      } else {
        i = j;
      }
    } else if (c === '"' || c === "'") {
      i = string(i, i, false);
    } else if (c === '`') {
      const close = text.indexOf('`', i + 1);
      const nl = text.indexOf('\n', i + 1);
      i = close >= 0 && (nl < 0 || close < nl) ? close + 1 : i + 1;
    } else {
      i++;
    }
  }
  return marks;
}

// ------------------------------------------------------------ helpers

function hasScope(scopes, prefix) {
  return scopes.some((s) => s === prefix || s.startsWith(prefix + '.'));
}

function tuttiFiles(dirs) {
  const out = [];
  const walk = (dir) => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith('.tutti')) out.push(p);
    }
  };
  for (const d of dirs) walk(path.join(ROOT, d));
  return out;
}

/** A tokenized sample and assertions on the scopes of pieces of it. */
class Sample {
  constructor(grammar, name, code) {
    this.name = name;
    this.code = code;
    this.result = grammar.tokenize(code, `sample '${name}'`);
    compareWithLexer(`sample '${name}'`, code, this.result, false);
    check(this.result.open.length === 0,
      `sample '${name}': a rule is still open at the end: ${this.result.open.map((f) => f.rule.name || f.rule.begin).join(', ')}`);
  }

  /**
   * The line, column and scopes of each character of the nth occurrence of
   * `needle`; when part of it is marked, as in 'on «formulary_win»', only of
   * that part.
   */
  locate(needle, nth) {
    const marked = needle.indexOf('«');
    const text = needle.replace(/[«»]/g, '');
    const first = marked < 0 ? 0 : marked;
    const last = marked < 0 ? text.length : needle.indexOf('»') - 1;
    let from = 0;
    let at = -1;
    for (let k = 0; k <= nth; k++) {
      at = this.code.indexOf(text, from);
      if (at < 0) return null;
      from = at + 1;
    }
    const chars = [];
    for (let i = at + first; i < at + last; i++) {
      if (/\s/.test(this.code[i])) continue;
      const before = this.code.slice(0, i);
      const line = before.split('\n').length - 1;
      const col = i - (before.lastIndexOf('\n') + 1);
      chars.push({ line, col, ch: this.code[i], scopes: this.result.lines[line].scopesAt[col] || [] });
    }
    return chars;
  }

  where(c) {
    return `sample '${this.name}' ${c.line + 1}:${c.col + 1}`;
  }

  expect(needle, test, describe, nth = 0) {
    const chars = this.locate(needle, nth);
    if (!check(chars !== null, `sample '${this.name}': "${needle}" (occurrence ${nth + 1}) is not in the sample`)) return;
    for (const c of chars) {
      if (!test(c.scopes)) {
        fail(`${this.where(c)}: "${needle}" at '${c.ch}': expected ${describe}, got [${c.scopes.join(', ')}]`);
        assertions++;
        return;
      }
    }
    assertions++;
  }

  has(needle, scope, nth = 0) {
    this.expect(needle, (s) => hasScope(s, scope), `scope ${scope}`, nth);
    return this;
  }

  lacks(needle, scope, nth = 0) {
    this.expect(needle, (s) => !hasScope(s, scope), `no scope ${scope}`, nth);
    return this;
  }

  /** Code inside an interpolation: nothing string-like inside the innermost meta.interpolation. */
  embedded(needle, nth = 0) {
    this.expect(needle, (s) => {
      const at = s.lastIndexOf('meta.interpolation.tutti');
      return at >= 0 && !s.slice(at + 1).some((x) => x.startsWith('string.'));
    }, 'code inside meta.interpolation.tutti (no string scope after it)', nth);
    return this;
  }
}

// ------------------------------------------------------------ the checks

function checkEngine() {
  // The tokenizer itself, on a small grammar using $self, contentName and captures.
  const g = new Grammar({
    scopeName: 'source.t',
    patterns: [
      { name: 'p', begin: '(\\()', end: '\\)', contentName: 'in', beginCaptures: { 1: { name: 'open' } }, patterns: [{ include: '$self' }] },
      { include: '#x' },
    ],
    repository: { x: { match: '(x)(y)?', name: 'x', captures: { 2: { name: 'y' } } } },
  }, 'engine self-test');
  const r = g.tokenize('a((xy)\n)x');
  const at = (l, c) => r.lines[l].scopesAt[c].join(' ');
  check(at(0, 0) === 'source.t', `engine self-test: plain text got [${at(0, 0)}]`);
  check(at(0, 1) === 'source.t p open', `engine self-test: begin capture got [${at(0, 1)}]`);
  check(at(0, 3) === 'source.t p in p in x', `engine self-test: $self nesting got [${at(0, 3)}]`);
  check(at(0, 4) === 'source.t p in p in x y', `engine self-test: capture got [${at(0, 4)}]`);
  check(at(0, 5) === 'source.t p in p', `engine self-test: end got [${at(0, 5)}]`);
  check(at(1, 0) === 'source.t p', `engine self-test: end on the next line got [${at(1, 0)}]`);
  check(at(1, 1) === 'source.t x', `engine self-test: after the rule closed got [${at(1, 1)}]`);
  check(r.open.length === 0, 'engine self-test: a rule is left open');
}

function checkRegexes(json) {
  for (const { where, source, key } of grammarRegexes(json)) {
    assertions++;
    try {
      new RegExp(source, 'dgm');
    } catch (e) {
      fail(`${rel(GRAMMAR_PATH)}: ${where}: the regex does not compile: ${e.message}`);
      continue;
    }
    const problems = unportable(source, key);
    if (problems.length) fail(`${rel(GRAMMAR_PATH)}: ${where}: not portable between Oniguruma and JavaScript: ${problems.join('; ')} in /${source}/`);
  }
  // The portability check itself.
  for (const [source, bad] of [['(?<=a)b', true], ['a++', true], ['\\Gx', true], ['(?i)x', true], ['(?>a)', true],
    ['\\h', true], ['[a[]', true], ['a(?=b)(?!c)(?:d)', false], ['[+]+', false], ['\\++', false], ['x{2}+', true]]) {
    check((unportable(source).length > 0) === bad, `portability check: /${source}/ should be ${bad ? 'rejected' : 'accepted'}`);
  }
}

function lexerKeywords() {
  const text = fs.readFileSync(path.join(ROOT, 'grammar', 'Tutti.g4'), 'utf8');
  const keywords = [];
  for (const m of text.matchAll(/\b([A-Z][A-Z_]*)\s*:\s*'([a-z_]+)'\s*;/g)) keywords.push(m[2]);
  return keywords;
}

const KEYWORD_SCOPES = ['keyword', 'storage.type', 'storage.modifier', 'constant.language'];

function checkKeywords(grammar, json) {
  const keywords = lexerKeywords();
  check(keywords.length >= 60, `grammar/Tutti.g4: found only ${keywords.length} keywords; has the lexer's layout changed?`);
  const keywordRules = grammarRegexes(json).filter(({ rule, key }) =>
    key === 'match' && rule.name && KEYWORD_SCOPES.some((s) => splitScopes(rule.name).some((n) => n === s || n.startsWith(s + '.'))));
  for (const word of keywords) {
    // Some keyword rule of the grammar matches the keyword on its own...
    const rule = keywordRules.find(({ source }) => {
      const re = new RegExp(source, 'gm');
      const m = re.exec(word + '\n');
      return m && m.index === 0 && m[0] === word;
    });
    check(rule !== undefined, `grammar/Tutti.g4 keyword '${word}' is matched by no keyword rule of ${rel(GRAMMAR_PATH)}`);
    // ...and the keyword written alone in a file is highlighted as one.
    const scopes = grammar.tokenize(word).lines[0].scopesAt[0] || [];
    check(KEYWORD_SCOPES.some((s) => hasScope(scopes, s)),
      `keyword '${word}' on its own: expected a keyword scope (${KEYWORD_SCOPES.join(', ')}), got [${scopes.join(', ')}]`);
  }
  // The other way: every word the keyword rules list is a keyword of the lexer.
  const known = new Set(keywords);
  for (const { where, source } of keywordRules) {
    for (const m of source.matchAll(/\\b\(\?:([a-z_|]+)\)\\b/g)) {
      for (const word of m[1].split('|')) {
        check(known.has(word), `${rel(GRAMMAR_PATH)}: ${where}: '${word}' is not a keyword of grammar/Tutti.g4`);
      }
    }
  }
  return keywords.length;
}

/**
 * Comments and strings: the grammar agrees with the lexer character by
 * character. Strict: nothing is left without a scope of its own.
 */
function compareWithLexer(name, text, result, strict) {
  const marks = classify(text);
  const kind = { c: 'a comment', s: 'a string', '.': 'code' };
  let offset = 0;
  let reported = 0;
  assertions += 2;
  result.lines.forEach((line, l) => {
    for (let c = 0; c < line.text.length; c++) {
      const scopes = line.scopesAt[c] || [];
      const expected = marks[offset + c];
      const got = hasScope(scopes, 'comment') ? 'c' : hasScope(scopes, 'string') ? 's' : '.';
      const at = `${name}:${l + 1}:${c + 1}`;
      if (expected !== got && reported++ < 3) {
        fail(`${at}: '${line.text[c]}' is ${kind[expected]} for the lexer but the grammar gives [${scopes.join(', ')}]`);
      }
      if (strict && !/\s/.test(line.text[c]) && scopes.length < 2 && reported++ < 3) {
        fail(`${at}: '${line.text[c]}' gets no scope beyond source.tutti`);
      }
    }
    offset += line.text.length + 1;
  });
}

/**
 * Tokenizes each .tutti file under `dirs`. Strict: the files are valid, so
 * no rule may be open at the end and every character gets a scope. Either
 * way, comments and strings must be where the lexer has them.
 */
function checkFiles(grammar, dirs, strict) {
  const files = tuttiFiles(dirs);
  check(files.length > 0, `no .tutti files found under ${dirs.join(', ')}`);
  for (const file of files) {
    const name = rel(file);
    const text = fs.readFileSync(file, 'utf8');
    let result;
    try {
      result = grammar.tokenize(text, name);
    } catch (e) {
      check(false, `${name}: tokenizing failed: ${e.message}`);
      continue;
    }
    assertions++;
    // A string, comment or declaration body that never closes is a grammar bug.
    if (strict && result.open.length) {
      const f = result.open[result.open.length - 1];
      fail(`${name}: at the end of the file the rule '${f.rule.name || f.rule.begin}' opened at ${f.openedAt} is still open`);
    }
    compareWithLexer(name, text, result, strict);
  }
  return files.length;
}

function checkSamples(grammar) {
  const S = (name, code) => new Sample(grammar, name, code);

  S('declarations', [
    'import "std/events"',
    'event rx_written keyed by hcp via prescriber { prescriber: string, brand: string?, tags: list<string> }',
    'profile hcp {',
    '  id: string key',
    '  "National Provider Identifier, when known {not code}"',
    '  npi: string?',
    '  owner: staff',
    '  scores: map<string, double>',
    '}',
    'channel email { kind message  to hcp  consent "email" }',
    'policy contact {',
    '  quiet_hours 20:00-08:00 local for [email]',
    '  cap email 2 per 7d',
    '  cap any 1 per 1d',
    '  require consent',
    '  arbitrate by priority within 1h',
    '}',
    'journey glidim_email_nurture for hcp {',
    '  title "Nurture"',
    '  priority 60',
    '}',
  ].join('\n'))
    .has('import', 'keyword.control.import.tutti')
    .has('"std/events"', 'string.quoted.double.tutti')
    .has('«event» rx_written', 'storage.type.tutti')
    .has('rx_written', 'entity.name.type')
    .has('keyed', 'keyword.other.tutti')
    .has('by', 'keyword.other.tutti')
    .has('hcp', 'entity.name.type.profile.tutti')
    .has('via', 'keyword.other.tutti')
    .has('prescriber', 'variable.other.property.tutti')
    .has('prescriber', 'entity.name.variable.field.tutti', 1)
    .has('string', 'support.type', 0)
    .has('?', 'keyword.operator.optional.tutti')
    .has('list', 'support.type')
    .has('<', 'punctuation.definition.typeparameters.begin.tutti')
    .has('profile', 'storage.type.tutti')
    .has('hcp', 'entity.name.type.profile', 1)
    .has('id', 'entity.name.variable.field.tutti')
    .has('string «key»', 'storage.modifier.key.tutti')
    .has('National Provider', 'string.quoted.double.tutti')
    .lacks('{not code}', 'meta.interpolation')
    .has('npi', 'entity.name.variable.field.tutti')
    .has('owner', 'entity.name.variable.field.tutti')
    .has('staff', 'entity.name.type.tutti')
    .has('map', 'support.type')
    .has('channel', 'storage.type.tutti')
    .has('email', 'entity.name.type.channel.tutti')
    .has('kind', 'keyword.other.tutti')
    .has('message', 'support.constant.channel-kind.tutti')
    .has('to', 'keyword.other.tutti')
    .has('hcp', 'entity.name.type.profile.tutti', 2)
    .has('hcp', 'entity.name.type.profile.tutti', 3)
    .has('consent', 'keyword.other.tutti')
    .has('policy', 'storage.type.tutti')
    .has('contact', 'entity.name.type.policy.tutti')
    .has('quiet_hours', 'keyword.other.tutti')
    .has('20:00', 'constant.numeric.time.tutti')
    .has('08:00', 'constant.numeric.time.tutti')
    .has('local', 'keyword.other.tutti')
    .has('cap', 'keyword.other.tutti')
    .has('email', 'entity.name.type.channel.tutti', 3)
    .has('7d', 'constant.numeric.duration.tutti')
    .has('any', 'keyword.other.tutti')
    .has('require', 'keyword.other.tutti')
    .has('priority', 'keyword.other.tutti')
    .has('1h', 'constant.numeric.duration.tutti')
    .has('journey', 'storage.type.tutti')
    .has('glidim_email_nurture', 'entity.name.function.journey.tutti')
    .has('«for» hcp', 'keyword.other.tutti')
        .has('title', 'keyword.other.tutti')
    .has('«priority» 60', 'keyword.other.tutti')
    .lacks('60', 'keyword')
    .has('60', 'constant.numeric.integer');

  S('messages', [
    'send email "Hello {hcp.name}, {size(hcp.consent)} topics; use {{braces}} // not a comment" to hcp',
    "task hcp.rep \"asking for a {reply.intent == 'meeting' ? 'visit' : 'sample drop'}: \\\"{reply.subject}\\\"\" due 3d",
    "notify staff where staff.role == \"msl\" best by -staff.load 'Question from {hcp.name}' due 1d",
    'send email "a { {\'k\': 1}[\'k\'] } tail"',
    'send email "unclosed {hcp.name"',
    'wait 1d',
  ].join('\n'))
    .has('send', 'keyword.control.tutti')
    .has('email', 'entity.name.type.channel.tutti')
    .has('Hello', 'string.quoted.double.tutti')
    .lacks('Hello', 'meta.interpolation')
    .has('«{»hcp', 'punctuation.section.interpolation.begin.tutti')
    .has('{hcp.name}', 'meta.interpolation.tutti')
    .embedded('hcp.name')
    .has('hcp', 'variable.other.readwrite.tutti', 1)
    .has('name', 'variable.other.property.tutti')
    .has('«}», {size', 'punctuation.section.interpolation.end.tutti')
    .has('«{»size', 'punctuation.section.embedded.begin.tutti')
    .embedded('size(hcp.consent)')
    .has('size', 'support.function.builtin.tutti')
    .has('{{', 'constant.character.escape')
    .lacks('{{braces}}', 'meta.interpolation')
    .has('braces', 'string.quoted.double.tutti')
    .has('}}', 'constant.character.escape')
    .has('// not a comment', 'string.quoted.double.tutti')
    .lacks('// not a comment', 'comment')
    .has('«to» hcp', 'keyword.other.tutti')
    .lacks('to hcp', 'string')
    .has("'meeting'", 'string.quoted.single.tutti')
    .has('==', 'keyword.operator.comparison.tutti')
    .embedded('==')
    .has('?', 'keyword.operator.ternary.tutti')
    .has("«:» 'sample", 'keyword.operator.ternary.tutti')
    .has(': \\"', 'string.quoted.double.tutti')
    .lacks(': \\"', 'meta.interpolation')
    .has('\\"', 'constant.character.escape.tutti')
    .embedded('reply.subject')
    .has('due', 'keyword.other.tutti')
    .has('3d', 'constant.numeric.duration.tutti')
    .has('staff', 'entity.name.type.profile.tutti')
    .has('"msl"', 'string.quoted.double.tutti')
    .has('best', 'keyword.control.tutti')
    .has("'Question from", 'string.quoted.single.tutti')
    .embedded('hcp.name', 1)
    .has("«{»'k'", 'punctuation.section.braces.begin.tutti')
    .has("{'k': 1}", 'meta.braces.tutti')
    .has("'k'", 'string.quoted.single.tutti')
    .embedded("'k'«: 1}»")
    .has(' tail', 'string.quoted.double.tutti')
    .lacks(' tail', 'meta.interpolation')
    .has('"unclosed', 'string.quoted.double.tutti')
    .has('wait', 'keyword.control.tutti')
    .lacks('wait', 'string');

  S('triple-quoted and raw strings', [
    'let long = """first line {hcp.name}',
    'second "quoted" line',
    'it\'s {{literal}} and {win.plan} """',
    'wait 2d',
    "let single = '''one",
    "two {x} '''",
    'let raw = r"C:\\no\\escapes {hcp.name} \\d{3}"',
    'let raw2 = R\'\\n stays\'',
    'let rawlong = r"""a\\n {b}',
    'c"""',
    'let data = b"\\xff\\000abc {x}"',
    'let rb = rb"\\d" + br\'x\'',
    'let s = "tab\\tquote\\"\\x41\\u00e9\\U0001F600\\101 bad\\q"',
    'let t = """say ""hi"" ok""" + \'\'\'it\'s\'\'\' + 1',
    'wait 3d',
  ].join('\n'))
    .has('let', 'keyword.control.tutti')
    .has('long', 'variable.other.readwrite.tutti')
    .has('«"""»first', 'punctuation.definition.string.begin.tutti')
    .has('first line', 'string.quoted.triple.tutti')
    .embedded('hcp.name')
    .has('second "quoted" line', 'string.quoted.triple.tutti')
    .lacks('second', 'keyword')
    .has("it's", 'string.quoted.triple.tutti')
    .has('«{{»literal', 'constant.character.escape')
    .has('literal«}}»', 'constant.character.escape')
    .lacks('{{literal}}', 'meta.interpolation')
    .embedded('win.plan')
    .has('«"""»\nwait 2d', 'punctuation.definition.string.end.tutti')
    .has('«wait» 2d', 'keyword.control.tutti')
    .lacks('wait 2d', 'string')
    .has('2d', 'constant.numeric.duration.tutti')
    .has('one', 'string.quoted.triple.tutti')
    .has('two', 'string.quoted.triple.tutti')
    .embedded('x}')
    .has('«r»"C:', 'storage.type.string.tutti')
    .has('C:\\no\\escapes', 'string.quoted.double.raw.tutti')
    .lacks('\\no', 'constant.character.escape')
    .lacks('{hcp.name} \\d{3}', 'meta.interpolation')
    .has('{hcp.name} \\d{3}', 'string.quoted.double.raw.tutti')
    .has("'\\n stays'", 'string.quoted.single.raw.tutti')
    .lacks("\\n stays", 'constant.character.escape')
    .has('a\\n {b}', 'string.quoted.triple.raw.tutti')
    .lacks('{b}', 'meta.interpolation')
    .has('c"""', 'string.quoted.triple.raw.tutti')
    .has('«b»"\\xff', 'storage.type.string.tutti')
    .has('\\xff', 'constant.character.escape.tutti')
    .has('\\000', 'constant.character.escape.tutti')
    .has('abc {x}', 'string.quoted.double.bytes.tutti')
    .lacks('{x}"', 'meta.interpolation')
    .has('rb"\\d"', 'string.quoted.double.raw.bytes.tutti')
    .has("br'x'", 'string.quoted.single.raw.bytes.tutti')
    .has('+', 'keyword.operator.arithmetic.tutti')
    .has('\\t', 'constant.character.escape.tutti')
    .has('\\"', 'constant.character.escape.tutti')
    .has('\\x41', 'constant.character.escape.tutti')
    .has('\\u00e9', 'constant.character.escape.tutti')
    .has('\\U0001F600', 'constant.character.escape.tutti')
    .has('\\101', 'constant.character.escape.tutti')
    .has('\\q', 'invalid.illegal.unknown-escape.tutti')
    .has('say ""hi"" ok', 'string.quoted.triple.tutti')
    .has('ok«"""»', 'punctuation.definition.string.end.tutti')
    .has("«+» '''", 'keyword.operator.arithmetic.tutti')
    .has("'''it's'''", 'string.quoted.triple.tutti')
    .has("«+» 1", 'keyword.operator.arithmetic.tutti')
    .has('«wait» 3d', 'keyword.control.tutti')
    .lacks('wait 3d', 'string');

  S('comments', [
    '// a line comment with "quotes" and {braces}',
    'wait 1d // trailing',
    '/* a block comment,',
    '   over "several" lines */ wait 2h30m',
    'let x = 1 /* inline */ + 2',
    'send email "/* not a comment */"',
    'let url = "http://example.com" // after',
  ].join('\n'))
    .has('// a line comment', 'comment.line.double-slash.tutti')
    .has('//', 'punctuation.definition.comment.tutti')
    .has('"quotes"', 'comment.line.double-slash.tutti')
    .lacks('"quotes"', 'string')
    .has('wait', 'keyword.control.tutti')
    .has('// trailing', 'comment.line')
    .has('/* a block', 'comment.block.tutti')
    .has('over "several" lines */', 'comment.block.tutti')
    .lacks('"several"', 'string')
    .has('«wait» 2h30m', 'keyword.control.tutti')
    .has('2h30m', 'constant.numeric.duration.tutti')
    .has('/* inline */', 'comment.block.tutti')
    .has('«+» 2', 'keyword.operator.arithmetic.tutti')
    .has('/* not a comment */', 'string.quoted.double.tutti')
    .lacks('/* not a comment */', 'comment')
    .has('http://example.com', 'string.quoted.double.tutti')
    .lacks('//example.com', 'comment')
    .has('// after', 'comment.line');

  S('literals', [
    'let a = [3d, 12h, 2h30m, 500ms, 1w, 1w2d, 90s, 5m]',
    'let b = [42, 0x2A, 42u, 0xFFU, 3.14, 1e3, .5, 2.5e-3]',
    'let c = [true, false, null]',
    'wait until 09:00 local',
    'wait until win.at + 3d',
    'let d = c ? 1:30',
  ].join('\n'))
    .has('3d', 'constant.numeric.duration.tutti')
    .has('12h', 'constant.numeric.duration.tutti')
    .has('2h30m', 'constant.numeric.duration.tutti')
    .has('500ms', 'constant.numeric.duration.tutti')
    .has('1w', 'constant.numeric.duration.tutti')
    .has('1w2d', 'constant.numeric.duration.tutti')
    .has('90s', 'constant.numeric.duration.tutti')
    .has('5m', 'constant.numeric.duration.tutti')
    .has('42', 'constant.numeric.integer.decimal.tutti')
    .has('0x2A', 'constant.numeric.integer.hexadecimal.tutti')
    .has('42u', 'constant.numeric.integer.unsigned.tutti')
    .has('0xFFU', 'constant.numeric.integer.hexadecimal.tutti')
    .has('3.14', 'constant.numeric.float.tutti')
    .has('1e3', 'constant.numeric.float.tutti')
    .has('.5', 'constant.numeric.float.tutti')
    .has('2.5e-3', 'constant.numeric.float.tutti')
    .has('true', 'constant.language.boolean.tutti')
    .has('false', 'constant.language.boolean.tutti')
    .has('null', 'constant.language.null.tutti')
    .has('until', 'keyword.control.tutti')
    .has('09:00', 'constant.numeric.time.tutti')
    .has('local', 'keyword.other.tutti')
    .has('win', 'variable.other.readwrite.tutti')
    .has('win.«at»', 'variable.other.property.tutti')
    .lacks('1:30', 'constant.numeric.time')
    .has('1«:»30', 'keyword.operator.ternary.tutti');

  S('journey body', [
    'journey glidim_formulary_win {',
    '  version 2',
    '  reentry after 90d',
    '  on formulary_win as win where win.brand == "GLIDIM" and not win.closed',
    '  audience hcp where hcp.account == win.account && hcp.specialty in ["a", "b"]',
    '  exit when rx_written as rx where rx.prescriber == hcp.id',
    '  goal when email_opened as o where o.template == "intro" || e.event == x.to',
    '  cooling_off: wait 3d',
    '  reminder: send email "glidim-reminder" with { brand: win.brand, day: 3 }',
    '  opened: wait up to 7d for email_opened as e where e.template == "intro"',
    '    then { send email "thanks" }',
    '    timeout { task hcp.rep "{hcp.name} has not opened" due 3d; end }',
    '  let priority = engagement(hcp, "email") + custom(1)',
    '  set priority = priority + 1',
    '  let ok = hcp.name.startsWith("Dr") and hcp.consent.exists(t, t == "email") and headers.`content-type` != ""',
    '  let v = can_email ? email_value : 0.0',
    '  migrate {',
    '    cooling_off',
    '    reminder -> second_touch',
    '    "wait@38" -> cooling_off',
    '  }',
    '  choose best by engagement(hcp, option) {',
    '    email -> start glidim_email_nurture',
    '    rep_visit -> task hcp.rep "Plan a visit" due 5d',
    '  }',
    '  choose {',
    '    when hcp.x == "e" -> send email "intro"',
    '    otherwise -> end',
    '  }',
    '  split {',
    '    50% a -> send email "x"',
    '    50% b -> emit case_created { hcp: hcp.id, at: now }',
    '  }',
    '  if type(x) == int { end } else if x { end } else { end }',
    '}',
  ].join('\n'))
    .has('version', 'keyword.other.tutti')
    .has('reentry', 'keyword.other.tutti')
    .has('after', 'keyword.other.tutti')
    .has('  «on» formulary_win', 'keyword.control.tutti')
    .has('on «formulary_win»', 'entity.name.type.event.tutti')
    .has('«as» win', 'keyword.other.tutti')
    .has('where', 'keyword.other.tutti')
    .has('brand', 'variable.other.property.tutti')
    .has('«and» not', 'keyword.operator.word.tutti')
    .has('not', 'keyword.operator.word.tutti')
    .has('audience', 'keyword.control.tutti')
    .has('hcp', 'entity.name.type.profile.tutti')
    .has('&&', 'keyword.operator.logical.tutti')
    .has('«in» ["a"', 'keyword.operator.word.tutti')
    .has('exit', 'keyword.control.tutti')
    .has('when', 'keyword.control.tutti')
    .has('rx_written', 'entity.name.type.event.tutti')
    .has('goal', 'keyword.control.tutti')
    .has('||', 'keyword.operator.logical.tutti')
    .has('event', 'variable.other.property.tutti')
    .lacks('event', 'storage')
    .has('x.«to»', 'variable.other.property.tutti')
    .has('cooling_off', 'entity.name.label.tutti')
    .has('cooling_off«:»', 'punctuation.separator.label.tutti')
    .has('«reminder»: send', 'entity.name.label.tutti')
    .has('with', 'keyword.other.tutti')
    .has('with «{»', 'punctuation.section.block.begin.tutti')
    .has('win.brand«,» day', 'punctuation.separator.comma.tutti')
    .has('«brand»: win', 'variable.other.property.tutti')
    .has('day', 'variable.other.property.tutti')
    .has('«opened»: wait', 'entity.name.label.tutti')
    .has('«up» to', 'keyword.control.tutti')
    .has('up «to»', 'keyword.other.tutti')
    .has('«for» email_opened', 'keyword.other.tutti')
    .has('for «email_opened»', 'entity.name.type')
    .has('when «email_opened»', 'entity.name.type.event.tutti')
    .has('then', 'keyword.control.tutti')
    .has('timeout', 'keyword.control.tutti')
    .has('«end» }', 'keyword.control.tutti')
    .has('priority', 'variable.other.readwrite.tutti')
    .lacks('priority', 'keyword')
    .lacks('= «priority» + 1', 'keyword')
    .has('engagement', 'support.function.builtin.tutti')
    .has('custom', 'entity.name.function.tutti')
    .has('startsWith', 'support.function.builtin.tutti')
    .has('exists', 'support.function.builtin.tutti')
    .has('`content-type`', 'variable.other.property.escaped.tutti')
    .has('!=', 'keyword.operator.comparison.tutti')
    .has('email_value', 'variable.other.readwrite.tutti')
    .lacks('email_value', 'variable.other.property')
    .has('migrate', 'keyword.other.tutti')
    .has('cooling_off', 'entity.name.label.tutti', 1)
    .has('«reminder» -> second', 'entity.name.label.tutti')
    .has('second_touch', 'entity.name.label.tutti')
    .has('"wait@38"', 'string.quoted.double.tutti')
    .has('->', 'keyword.operator.arrow.tutti')
    .has('cooling_off', 'entity.name.label.tutti', 2)
    .has('choose', 'keyword.control.tutti')
    .has('option', 'variable.other.readwrite.tutti')
    .has('«email» ->', 'entity.name.label.tutti')
    .has('«start» glidim', 'keyword.control.tutti')
    .has('glidim_email_nurture', 'entity.name.function.journey.tutti')
    .has('rep_visit', 'entity.name.label.tutti')
    .has('otherwise', 'keyword.control.tutti')
    .has('split', 'keyword.control.tutti')
    .has('50', 'constant.numeric.percentage.tutti')
    .has('%', 'punctuation.definition.percentage.tutti')
    .has('% «a» ->', 'entity.name.label.tutti')
    .has('emit', 'keyword.control.tutti')
    .has('case_created', 'entity.name.type.event.tutti')
    .has('«hcp»: hcp.id', 'variable.other.property.tutti')
    .has('now', 'variable.language.now.tutti')
    .has('«if» type', 'keyword.control.tutti')
    .has('«type»(x)', 'support.function.builtin.tutti')
    .has('== «int»', 'support.type.tutti')
    .has('else', 'keyword.control.tutti');

  // Where the lexer ends a string, the grammar does too: a quote inside an
  // interpolation closes the string (docs/language.md, section 7).
  S('string boundaries', [
    'let a = "x {b == "c"} d"',
    "let e = 'it {f == \"g\" ? 'h' : \"i\"} j'",
    'let k = """m {n == "o" ? \'p\' : {\'q\': 1}[\'q\']} r',
    's {{t}} u"""',
    'send email "{ {"nested": 1} }"',
    'x.`a b`.y + .5e3 + 0x1Fu + 1w2d3h4m5s6ms',
  ].join('\n'))
    .has('«c»"} d', 'variable.other.readwrite.tutti')
    .has('"} d"', 'string.quoted.double.tutti')
    .lacks('"} d"', 'meta.interpolation')
    .has('"g"', 'string.quoted.double.tutti')
    .has('"g"', 'meta.interpolation.tutti')
    .has("'«h»'", 'variable.other.readwrite.tutti')
    .has('"o"', 'meta.interpolation.tutti')
    .has("{'q': 1}", 'meta.braces.tutti')
    .embedded("'q'«]»")
    .has("«}» r", 'punctuation.section.interpolation.end.tutti')
    .has('s {{t}} u', 'string.quoted.triple.tutti')
    .has('«nested»"', 'variable.other.readwrite.tutti')
    .has('`a b`', 'variable.other.property.escaped.tutti')
    .has('.5e3', 'constant.numeric.float.tutti')
    .has('0x1Fu', 'constant.numeric.integer.hexadecimal.tutti')
    .has('1w2d3h4m5s6ms', 'constant.numeric.duration.tutti');

  // An unclosed body must not swallow the declarations after it.
  S('recovery', [
    'profile hcp { id: string key',
    'event e keyed by hcp { hcp: string }',
    'send email "never closed',
    'wait 1d',
  ].join('\n'))
    .has('event', 'storage.type.tutti')
    .lacks('event', 'meta.declaration.profile')
    .has('event «e» keyed', 'entity.name.type.event.tutti')
    .has('wait', 'keyword.control.tutti');
}

function checkManifest() {
  let pkg;
  try {
    pkg = JSON.parse(fs.readFileSync(path.join(EXT, 'package.json'), 'utf8'));
  } catch (e) {
    check(false, `editors/vscode/package.json does not parse: ${e.message}`);
    return;
  }
  assertions++;
  const exists = (p, what) => check(typeof p === 'string' && fs.existsSync(path.join(EXT, p)),
    `editors/vscode/package.json: ${what} '${p}' does not exist`);
  check(pkg.name === 'tutti', `editors/vscode/package.json: name is '${pkg.name}', not 'tutti'`);
  exists(pkg.main, 'main');
  const contributes = pkg.contributes || {};
  const languages = contributes.languages || [];
  const grammars = contributes.grammars || [];
  const language = languages.find((l) => l.id === 'tutti');
  if (check(language !== undefined, 'editors/vscode/package.json: no contributes.languages entry with id tutti')) {
    check((language.extensions || []).includes('.tutti'), 'editors/vscode/package.json: the tutti language does not claim .tutti files');
    exists(language.configuration, 'language configuration');
  }
  const grammar = grammars.find((g) => g.language === 'tutti');
  if (check(grammar !== undefined, 'editors/vscode/package.json: no contributes.grammars entry for tutti')) {
    check(grammar.scopeName === 'source.tutti', `editors/vscode/package.json: grammar scopeName is '${grammar.scopeName}'`);
    exists(grammar.path, 'grammar path');
    check(path.resolve(EXT, grammar.path) === GRAMMAR_PATH, `editors/vscode/package.json: the grammar path '${grammar.path}' is not the grammar this test checks`);
  }
  check((pkg.activationEvents || []).includes('onLanguage:tutti'), 'editors/vscode/package.json: no activation event onLanguage:tutti');
  const props = ((contributes.configuration || {}).properties) || {};
  check(props['tutti.path'] && props['tutti.path'].default === 'tutti', 'editors/vscode/package.json: no setting tutti.path defaulting to "tutti"');
  check(props['tutti.stdlib'] !== undefined, 'editors/vscode/package.json: no setting tutti.stdlib');
  const commands = (contributes.commands || []).map((c) => c.command);
  check(commands.length > 0, 'editors/vscode/package.json: no commands');
  const source = fs.existsSync(path.join(EXT, pkg.main || '')) ? fs.readFileSync(path.join(EXT, pkg.main), 'utf8') : '';
  for (const command of commands) {
    check(source.includes(`'${command}'`) || source.includes(`"${command}"`),
      `editors/vscode/package.json: command '${command}' is not registered in ${pkg.main}`);
  }
  for (const dep of Object.keys(pkg.dependencies || {})) {
    check(source.includes(dep), `editors/vscode/package.json: dependency '${dep}' is not used by ${pkg.main}`);
  }

  let config;
  const configPath = language ? path.join(EXT, language.configuration || '') : path.join(EXT, 'language-configuration.json');
  try {
    config = JSON.parse(fs.readFileSync(configPath, 'utf8'));
  } catch (e) {
    check(false, `${rel(configPath)} does not parse: ${e.message}`);
    return;
  }
  assertions++;
  check(config.comments && config.comments.lineComment === '//', `${rel(configPath)}: line comments are not //`);
  // Its regexes are JavaScript ones (VS Code evaluates them itself).
  const regexes = [];
  const ir = config.indentationRules || {};
  for (const key of ['increaseIndentPattern', 'decreaseIndentPattern']) if (ir[key]) regexes.push([`indentationRules.${key}`, ir[key]]);
  if (config.wordPattern) regexes.push(['wordPattern', config.wordPattern]);
  const markers = (config.folding || {}).markers || {};
  for (const key of ['start', 'end']) if (markers[key]) regexes.push([`folding.markers.${key}`, markers[key]]);
  const compiled = {};
  for (const [where, source] of regexes) {
    try {
      compiled[where] = new RegExp(source);
      assertions++;
    } catch (e) {
      check(false, `${rel(configPath)}: ${where} does not compile: ${e.message}`);
    }
  }
  const inc = compiled['indentationRules.increaseIndentPattern'];
  const dec = compiled['indentationRules.decreaseIndentPattern'];
  if (check(inc && dec, `${rel(configPath)}: indentationRules needs increaseIndentPattern and decreaseIndentPattern`)) {
    for (const line of ['journey j for hcp {', '  then {', '  } else {', '  send email "x" with {  // fields']) {
      check(inc.test(line), `${rel(configPath)}: increaseIndentPattern does not match '${line}'`);
    }
    for (const line of ['  send email "{x}"', '  // {', '  wait 1d']) {
      check(!inc.test(line), `${rel(configPath)}: increaseIndentPattern matches '${line}'`);
    }
    for (const line of ['}', '  } else {', '  }']) check(dec.test(line), `${rel(configPath)}: decreaseIndentPattern does not match '${line}'`);
    check(!dec.test('  send email "}"'), `${rel(configPath)}: decreaseIndentPattern matches a line that does not start with '}'`);
  }
  const word = compiled.wordPattern;
  if (word) {
    for (const w of ['cooling_off', '2h30m', 'hcp']) {
      const m = new RegExp(config.wordPattern, 'g').exec(`x ${w} y`.slice(2));
      check(m && m[0] === w, `${rel(configPath)}: wordPattern does not take '${w}' as one word`);
    }
  }
}

function main() {
  let json;
  try {
    json = JSON.parse(fs.readFileSync(GRAMMAR_PATH, 'utf8'));
  } catch (e) {
    console.error(`FAIL ${rel(GRAMMAR_PATH)} does not parse: ${e.message}`);
    process.exit(1);
  }
  check(json.scopeName === 'source.tutti', `${rel(GRAMMAR_PATH)}: scopeName is '${json.scopeName}', not source.tutti`);
  checkEngine();
  checkRegexes(json);
  let files = 0;
  try {
    const grammar = new Grammar(json, rel(GRAMMAR_PATH));
    checkKeywords(grammar, json);
    files = checkFiles(grammar, ['journeys', 'stdlib', 'examples', path.join('tests', 'golden')], true);
    // Files with mistakes on purpose (the checker's error tests).
    files += checkFiles(grammar, [path.join('tests', 'errors')], false);
    checkSamples(grammar);
  } catch (e) {
    fail(`${rel(GRAMMAR_PATH)}: ${e.stack || e.message}`);
  }
  checkManifest();
  for (const f of failures) console.error(`FAIL ${f}`);
  console.log(`grammar: ${files} files, ${assertions} assertions, ${failures.length} failures`);
  process.exit(failures.length ? 1 : 0);
}

main();
