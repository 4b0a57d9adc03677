#!/usr/bin/env python3
"""prom_strict.py [FILE]: a strict checker of the Prometheus text exposition
format 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/),
written from the format description for tests/sh/test_serve.sh. Prints every
violation and exits 1 if there is any; prints a summary and exits 0 if none.

Checked: UTF-8; every line ends with '\n' (the last included); '# HELP' and
'# TYPE' at most once per family and before its samples (TYPE one of counter,
gauge, histogram, summary, untyped); metric and label names by their
grammar, no reserved '__' label names, no repeated label names; label values
quoted with only \\\\, \\" and \\n escapes; values as floats (NaN, +Inf,
-Inf); optional integer millisecond timestamps; each family's lines
contiguous; no duplicate series; sample names of gauges/counters/untyped
equal to the family name (counters may not be negative)."""
import re
import sys

NAME = re.compile(r'[a-zA-Z_:][a-zA-Z0-9_:]*')
LABEL = re.compile(r'[a-zA-Z_][a-zA-Z0-9_]*')
FLOAT = re.compile(r'[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)$')
TYPES = {'counter', 'gauge', 'histogram', 'summary', 'untyped'}


def family_of(name, types):
    if name in types:
        return name
    for suf in ('_bucket', '_count', '_sum'):
        base = name[:-len(suf)]
        if name.endswith(suf) and types.get(base) in ('histogram', 'summary'):
            return base
    return name


def parse_value(s):
    if s in ('NaN', '+Inf', '-Inf'):
        return float(s.replace('+', ''))
    if not FLOAT.match(s):
        raise ValueError(s)
    return float(s)


def check(data):
    errs = []
    try:
        text = data.decode('utf-8')
    except UnicodeDecodeError as e:
        return ['not UTF-8: %s' % e]
    if not text:
        return ['empty exposition']
    if not text.endswith('\n'):
        errs.append('the last line does not end with \\n')
    helps, types, seen_series = {}, {}, set()
    closed, current = set(), None
    nsamples = 0
    for ln, line in enumerate(text.split('\n')[:-1] if text.endswith('\n') else text.split('\n'), 1):
        def err(msg):
            errs.append('line %d: %s: %r' % (ln, msg, line[:200]))
        if line == '':
            continue
        if line.startswith('#'):
            parts = line.split(' ', 3)
            if len(parts) >= 3 and parts[0] == '#' and parts[1] in ('HELP', 'TYPE'):
                name = parts[2]
                if not NAME.fullmatch(name):
                    err('bad metric name in %s' % parts[1])
                    continue
                if name in closed or (current not in (None, name) and name in (helps.keys() | types.keys())):
                    err('%s for a family whose lines were not contiguous' % parts[1])
                if current is not None and current != name:
                    closed.add(current)
                current = name
                if parts[1] == 'HELP':
                    if name in helps:
                        err('second HELP for %s' % name)
                    doc = parts[3] if len(parts) > 3 else ''
                    if re.search(r'\\(?![\\n])', doc):
                        err('HELP docstring with an escape other than \\\\ or \\n')
                    helps[name] = doc
                else:
                    if name in types:
                        err('second TYPE for %s' % name)
                    if len(parts) != 4 or parts[3] not in TYPES:
                        err('TYPE must be one of %s' % ', '.join(sorted(TYPES)))
                    if any(family_of(s[0], {name: parts[3] if len(parts) > 3 else ''}) == name for s in seen_series):
                        err('TYPE after samples of %s' % name)
                    types[name] = parts[3] if len(parts) > 3 else ''
            continue
        # a sample
        m = NAME.match(line)
        if not m:
            err('a sample must start with a metric name')
            continue
        name, i, labels = m.group(0), m.end(), []
        if i < len(line) and line[i] == '{':
            i += 1
            while True:
                if i < len(line) and line[i] == '}':
                    i += 1
                    break
                lm = LABEL.match(line, i)
                if not lm:
                    err('bad label name')
                    break
                lname = lm.group(0)
                if lname.startswith('__'):
                    err('reserved label name %s' % lname)
                i = lm.end()
                if line[i:i + 2] != '="':
                    err('label %s: expected ="' % lname)
                    break
                i += 2
                val = []
                while i < len(line) and line[i] != '"':
                    if line[i] == '\\':
                        if i + 1 >= len(line) or line[i + 1] not in '\\"n':
                            err('label %s: bad escape' % lname)
                            break
                        val.append({'\\': '\\', '"': '"', 'n': '\n'}[line[i + 1]])
                        i += 2
                    else:
                        val.append(line[i])
                        i += 1
                if i >= len(line):
                    err('label %s: unterminated value' % lname)
                    break
                i += 1
                if lname in (l[0] for l in labels):
                    err('repeated label %s' % lname)
                labels.append((lname, ''.join(val)))
                if i < len(line) and line[i] == ',':
                    i += 1
                elif i < len(line) and line[i] == '}':
                    continue
                else:
                    err('expected , or } after label %s' % lname)
                    break
            else:
                pass
        rest = line[i:]
        if not rest.startswith(' '):
            err('expected a space before the value')
            continue
        fields = rest.split(' ')[1:]
        if len(fields) not in (1, 2) or '' in fields:
            err('expected "value [timestamp]" separated by single spaces')
            continue
        try:
            v = parse_value(fields[0])
        except ValueError:
            err('bad value %r' % fields[0])
            continue
        if len(fields) == 2 and not re.fullmatch(r'-?\d+', fields[1]):
            err('bad timestamp %r' % fields[1])
        fam = family_of(name, types)
        if fam in closed:
            err('sample of %s after its family ended' % fam)
        if current is not None and current != fam:
            closed.add(current)
        current = fam
        t = types.get(fam, 'untyped')
        if t in ('gauge', 'counter', 'untyped') and name != fam:
            err('sample name %s differs from its %s family' % (name, t))
        if t == 'counter' and v < 0:
            err('negative counter')
        key = (name, tuple(sorted(labels)))
        if key in seen_series:
            err('duplicate series')
        seen_series.add(key)
        nsamples += 1
    return errs, nsamples, len(types)


def main():
    data = open(sys.argv[1], 'rb').read() if len(sys.argv) > 1 else sys.stdin.buffer.read()
    res = check(data)
    if isinstance(res, list):
        errs, n, f = res, 0, 0
    else:
        errs, n, f = res
    for e in errs:
        print('prom_strict: ' + e)
    if errs:
        sys.exit(1)
    print('prom_strict: ok, %d samples in %d families' % (n, f))


if __name__ == '__main__':
    main()
