import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { Problem } from '../errors.ts';

export type FieldPath = readonly (string | number)[];

/** Formats a field path as `training.head.learning_rate` or `parameters.lr[1]`. */
export function formatPath(path: FieldPath): string {
  let text = '';
  for (const part of path) {
    if (typeof part === 'number') {
      text += `[${part}]`;
    } else {
      text += text === '' ? part : `.${part}`;
    }
  }
  return text;
}

/**
 * A parsed YAML file that keeps its source positions, so that a problem found in
 * the parsed value can be reported at the line and column where it was written.
 * YAML 1.2 core schema: `1e-5` is a number, `yes` is a string.
 */
export class YamlSource {
  readonly fileName: string;
  readonly text: string;
  readonly document: Document.Parsed;
  private readonly lineCounter: LineCounter;

  constructor(text: string, fileName: string) {
    this.fileName = fileName;
    this.text = text;
    this.lineCounter = new LineCounter();
    this.document = parseDocument(text, { lineCounter: this.lineCounter, version: '1.2', schema: 'core' });
  }

  /**
   * Returns the first YAML syntax error (or duplicate key) as a problem, or
   * nothing when the file parsed. Later syntax errors are usually consequences
   * of the first, so they are left out.
   */
  syntaxProblems(): Problem[] {
    const error = this.document.errors[0];
    if (error === undefined) {
      return [];
    }
    const position = error.linePos?.[0] ?? { line: 1, col: 1 };
    // With prettyErrors the message ends with " at line L, column C:" and a source excerpt.
    let message = `invalid YAML: ${error.message.split(/ at line \d+, column \d+/)[0] ?? error.message}`;
    const line = this.text.split('\n')[position.line - 1] ?? '';
    if (line.includes('${') && /[[{]/.test(line)) {
      message += '; inside [ ] or { } write a reference in quotes, as in "${name}"';
    }
    return [{ file: this.fileName, line: position.line, column: position.col, path: '', message }];
  }

  /** Returns the file's value as plain JavaScript, with aliases resolved. */
  value(): unknown {
    return this.document.toJS({ maxAliasCount: 1000 });
  }

  /**
   * Returns the 1-based position of the value at `path`, or of its key when `key` is set.
   * A path that does not exist in the file (a missing field) resolves to the key
   * of its deepest existing parent.
   */
  position(path: FieldPath, options: { key?: boolean } = {}): { line: number; column: number } {
    const { node, keyNode, complete } = this.find(path);
    const target = (options.key === true || !complete) && keyNode !== undefined ? keyNode : node;
    const offset = target?.range?.[0] ?? 0;
    const { line, col } = this.lineCounter.linePos(offset);
    return { line, column: col };
  }

  /** Returns the scalar at `path` as written in the file, or undefined for a missing field or a collection. */
  sourceText(path: FieldPath): string | undefined {
    const { node, complete } = this.find(path);
    if (!complete || !isScalar(node) || node.range === undefined || node.range === null) {
      return undefined;
    }
    return this.text.slice(node.range[0], node.range[1]);
  }

  private find(path: FieldPath): { node: Node | undefined; keyNode: Node | undefined; complete: boolean } {
    let node: Node | undefined = (this.document.contents ?? undefined) as Node | undefined;
    let keyNode: Node | undefined;
    for (const part of path) {
      if (isAlias(node)) {
        node = node.resolve(this.document) as Node | undefined;
      }
      let next: Node | undefined;
      let nextKey: Node | undefined;
      if (isMap(node)) {
        const pair = node.items.find((item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(part));
        if (pair !== undefined) {
          nextKey = pair.key as Node;
          next = (pair.value ?? pair.key) as Node;
        }
      } else if (isSeq(node) && typeof part === 'number') {
        next = node.items[part] as Node | undefined;
      }
      if (next === undefined) {
        return { node, keyNode, complete: false };
      }
      node = next;
      keyNode = nextKey;
    }
    return { node, keyNode, complete: true };
  }
}
