#!/usr/bin/env python3
"""Fails on an #include in gst/ that runs against the layers, or on a cycle
between files (docs/design.md, "Layers").

The layers, each a folder and a static library; a file may include headers
of its own layer and of the layers listed for it:

    gst/ (element, session) -> kvs/, mkv/, aws/, util/
    kvs/  (KVS logic)        -> aws/, util/
    mkv/  (Matroska)         -> util/        (no network header)
    aws/  (AWS plumbing)     -> util/        (no KVS type)
    util/                    -> (nothing of ours)

A file is X.c with its headers X.h and Xpriv.h: one node. A cycle is a path
of includes from a node back to itself.
"""
import os
import re
import sys

ALLOWED = {
    'gst': {'gst', 'kvs', 'mkv', 'aws', 'util'},
    'kvs': {'kvs', 'aws', 'util'},
    'mkv': {'mkv', 'util'},
    'aws': {'aws', 'util'},
    'util': {'util'},
}
# system headers that belong to a layer above: the network stack
NETWORK = ('libsoup/', 'openssl/')
INCLUDE = re.compile(r'^\s*#\s*include\s+([<"])([^>"]+)[>"]', re.M)


def node_of(name):
    base = os.path.splitext(name)[0]
    return base[:-4] if base.endswith('priv') else base


def main(root):
    gst = os.path.join(root, 'gst')
    layer_of = {}
    files = []
    for layer in ALLOWED:
        d = gst if layer == 'gst' else os.path.join(gst, layer)
        for f in sorted(os.listdir(d)):
            if f.endswith(('.c', '.h')):
                layer_of[f] = layer
                files.append((layer, os.path.join(d, f), f))
    errors = []
    edges = {}
    for layer, path, f in files:
        text = open(path, encoding='utf-8').read()
        for kind, inc in INCLUDE.findall(text):
            if kind == '<':
                if layer == 'mkv' and inc.startswith(NETWORK):
                    errors.append(f'{path}: mkv/ includes the network '
                                  f'header <{inc}>')
                continue
            if inc == 'config.h':
                continue
            if inc not in layer_of:
                errors.append(f'{path}: includes "{inc}", not in gst/')
                continue
            if layer_of[inc] not in ALLOWED[layer]:
                errors.append(f'{path}: {layer}/ includes "{inc}" of '
                              f'{layer_of[inc]}/, against the layers')
            a, b = node_of(f), node_of(inc)
            if a != b:
                edges.setdefault(a, set()).add(b)
    # cycles: depth-first search, reporting each once
    state = {}
    stack = []

    def visit(n):
        state[n] = 1
        stack.append(n)
        for m in sorted(edges.get(n, ())):
            if state.get(m) == 1:
                cycle = stack[stack.index(m):] + [m]
                errors.append('include cycle: ' + ' -> '.join(cycle))
            elif m not in state:
                visit(m)
        stack.pop()
        state[n] = 2

    for n in sorted(edges):
        if n not in state:
            visit(n)
    for e in errors:
        print(e)
    print(f'layers: {len(files)} files, {len(errors)} problems')
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else
                  os.path.join(os.path.dirname(__file__), '..')))
