/**
 * Reading and validating sweep files. Validation reports every problem in one
 * pass, each as `file:line:col: path: message, got VALUE`.
 */
import { readFile } from 'node:fs/promises';
import type { z } from 'zod';
import { InputError, ValidationError, type Problem } from '../errors.ts';
import { issueToProblems, renderValue, type FieldProblem } from './issue-messages.ts';
import { collectReferences, isWithin, substituteReferences, TEMPLATE_SECTIONS } from './references.ts';
import { DESCENDING_METRICS, PARAMETER_NAME_PATTERN, sweepFileSchema, type SweepFile } from './sweep-file-schema.ts';
import type { ArtifactLocation, ParameterDefinition, RankingKey, ReferenceSite, SweepSpec } from './sweep-spec.ts';
import type { ParameterValue } from './trial-config.ts';
import { formatPath, YamlSource, type FieldPath } from './yaml-source.ts';

/** Reads and validates a sweep file; throws ValidationError listing every problem, InputError when unreadable. */
export async function loadSpecFile(path: string): Promise<SweepSpec> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    let reason = String(error);
    if (code === 'ENOENT') {
      reason = 'file not found';
    } else if (code === 'EISDIR') {
      reason = 'is a folder, not a file';
    }
    throw new InputError(`cannot read sweep file ${path}: ${reason}`, { cause: error });
  }
  return parseSpec(text, path);
}

/** Validates the text of a sweep file; `fileName` only labels the problems. Throws ValidationError. */
export function parseSpec(text: string, fileName: string): SweepSpec {
  const source = new YamlSource(text, fileName);
  const syntaxProblems = source.syntaxProblems();
  if (syntaxProblems.length > 0) {
    throw new ValidationError(syntaxProblems);
  }
  const validator = new SpecValidator(source);
  return validator.validate();
}

/** One value a parameter can take, with where it is written, for checking it at every field that references it. */
interface Candidate {
  value: ParameterValue;
  path: FieldPath;
}

class SpecValidator {
  private readonly source: YamlSource;
  private readonly problems: FieldProblem[] = [];
  private readonly seen = new Set<string>();
  private reportedPaths: FieldPath[] = [];

  constructor(source: YamlSource) {
    this.source = source;
  }

  validate(): SweepSpec {
    const data = this.source.value();
    if (data === null || typeof data !== 'object' || Array.isArray(data)) {
      this.add({ path: [], message: `a sweep file must be a mapping with name, dataset, model and training, got ${renderValue(data)}` });
      throw this.error();
    }
    const file = data as Record<string, unknown>;

    const { sites, problems: referenceProblems } = collectReferences(file);
    referenceProblems.forEach((problem) => this.add(problem));
    // The schema would also reject these strings; the reference problem is the one to fix.
    this.reportedPaths = referenceProblems.map((problem) => problem.path);

    const parameters = this.validateParameters(file, sites);
    const candidates = new Map<string, Candidate[]>();
    for (const [name, definition] of parameters) {
      candidates.set(name, candidatesOf(name, definition, file.parameters));
    }

    // Pass 1: every reference replaced by its parameter's first candidate value.
    // Problems inside a referenced field belong to that parameter value.
    const representative = (name: string): unknown => candidates.get(name)?.[0]?.value;
    const substituted = this.substitute(file, representative);
    const parsed = sweepFileSchema.safeParse(substituted, { reportInput: true });
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        if (issue.path[0] === 'parameters') {
          continue; // reported by validateParameters
        }
        this.addIssue(issue, substituted, sites, candidates, undefined);
      }
    }

    // Pass 2: each other candidate value of each parameter, at the fields that reference it.
    for (const [name, values] of candidates) {
      for (let index = 1; index < values.length; index++) {
        const replace = (parameter: string): unknown => (parameter === name ? values[index].value : representative(parameter));
        const variant = this.substitute(file, replace);
        const result = sweepFileSchema.safeParse(variant, { reportInput: true });
        if (!result.success) {
          for (const issue of result.error.issues) {
            this.addIssue(issue, variant, sites, candidates, { name, candidate: values[index] });
          }
        }
      }
    }

    this.checkCrossFields(file, sites, parameters);
    if (this.problems.length > 0 || !parsed.success) {
      throw this.error();
    }
    return this.buildSpec(parsed.data, file, sites, parameters);
  }

  private substitute(file: Record<string, unknown>, replace: (parameter: string) => unknown): Record<string, unknown> {
    const copy: Record<string, unknown> = { ...file };
    for (const section of TEMPLATE_SECTIONS) {
      if (section in copy) {
        copy[section] = substituteReferences(copy[section], replace);
      }
    }
    return copy;
  }

  private validateParameters(file: Record<string, unknown>, sites: ReferenceSite[]): Map<string, ParameterDefinition> {
    const definitions = new Map<string, ParameterDefinition>();
    const raw = file.parameters;
    const rawRecord = asRecord(raw);
    if (raw !== undefined && rawRecord === undefined) {
      this.add({ path: ['parameters'], message: `expected a mapping of parameter names to value lists or distributions, got ${renderValue(raw)}` });
    }

    // Each parameter is parsed on its own, so that one invalid parameter does not hide the others.
    const parameterSchema = sweepFileSchema.shape.parameters.unwrap().valueType;
    const render = (path: FieldPath, value: unknown): string => this.render(path, value);
    for (const name of Object.keys(rawRecord ?? {})) {
      if (rawRecord === undefined) {
        break;
      }
      const path: FieldPath = ['parameters', name];
      if (!PARAMETER_NAME_PATTERN.test(name)) {
        this.add({ path, message: 'invalid parameter name: use letters, digits and _, not starting with a digit', atKey: true });
      }
      const result = parameterSchema.safeParse(rawRecord[name], { reportInput: true });
      if (!result.success) {
        for (const issue of result.error.issues) {
          // Problems are found against the whole file's schema and value, so that unknown keys get their did-you-mean.
          const wrapped = { parameters: { [name]: rawRecord[name] } };
          issueToProblems(issue, sweepFileSchema, wrapped, render, path).forEach((problem) => this.add(problem));
        }
      }
      const definition = result.success ? result.data : undefined;
      if (!sites.some((site) => site.parameter === name)) {
        this.add({ path, message: `parameter ${name} is not referenced by any field; reference it as \${${name}} or remove it`, atKey: true });
      }
      if (definition === undefined) {
        continue;
      }
      const normalized: ParameterDefinition = Array.isArray(definition)
        ? { distribution: 'choice', values: definition as ParameterValue[] }
        : (definition as ParameterDefinition);
      if (this.checkDefinition(name, normalized, rawRecord[name])) {
        definitions.set(name, normalized);
      }
    }

    for (const site of sites) {
      if (rawRecord === undefined || !(site.parameter in rawRecord)) {
        const known = Object.keys(rawRecord ?? {});
        const hint = known.length > 0 ? `; defined parameters: ${known.join(', ')}` : '; add it under parameters:';
        this.add({ path: site.path, message: `references undefined parameter ${site.parameter}${hint}` });
      }
    }
    return definitions;
  }

  // Checks what the schema cannot: bounds order, and values that themselves contain references.
  private checkDefinition(name: string, definition: ParameterDefinition, raw: unknown): boolean {
    const path: FieldPath = ['parameters', name];
    let valid = true;
    if (definition.distribution === 'choice') {
      const listPath = Array.isArray(raw) ? path : [...path, 'values'];
      definition.values.forEach((value, index) => {
        if (JSON.stringify(value).includes('${')) {
          this.add({ path: [...listPath, index], message: `a parameter value cannot contain a reference, got ${renderValue(value)}` });
          valid = false;
        }
      });
      return valid;
    }
    const ordered = definition.distribution === 'integer' ? definition.low <= definition.high : definition.low < definition.high;
    if (!ordered) {
      const relation = definition.distribution === 'integer' ? 'at least' : 'greater than';
      this.add({
        path: [...path, 'high'],
        message: `must be ${relation} low (${this.render([...path, 'low'], definition.low)}), got ${this.render([...path, 'high'], definition.high)}`,
      });
      valid = false;
    }
    return valid;
  }

  private addIssue(
    issue: z.core.$ZodIssue,
    data: unknown,
    sites: ReferenceSite[],
    candidates: Map<string, Candidate[]>,
    only: { name: string; candidate: Candidate } | undefined,
  ): void {
    // The candidate value substituted at a site, and where that value is written in the file.
    const candidateAt = (site: ReferenceSite): Candidate | undefined =>
      only !== undefined && site.parameter === only.name ? only.candidate : candidates.get(site.parameter)?.[0];
    const filePath = (path: FieldPath): FieldPath => {
      const site = sites.find((s) => isWithin(path, s.path));
      const candidate = site === undefined ? undefined : candidateAt(site);
      return site === undefined || candidate === undefined ? path : [...candidate.path, ...path.slice(site.path.length)];
    };
    const render = (path: FieldPath, value: unknown): string => this.render(filePath(path), value);

    for (const problem of issueToProblems(issue, sweepFileSchema, data, render)) {
      if (this.reportedPaths.some((path) => isWithin(problem.path, path))) {
        continue;
      }
      const site = sites.find((s) => isWithin(problem.path, s.path));
      if (only !== undefined && site?.parameter !== only.name) {
        continue; // pass 1 reported it
      }
      if (site === undefined) {
        this.add(problem);
        continue;
      }
      if (candidateAt(site) === undefined) {
        continue; // a site of an undefined or invalid parameter, reported already
      }
      this.add({ path: filePath(problem.path), message: `${problem.message} (used at ${formatPath(site.path)})`, atKey: problem.atKey });
    }
  }

  // Checks that involve more than one field. They read the raw file, so that they
  // run even when the schema found problems elsewhere.
  private checkCrossFields(file: Record<string, unknown>, sites: ReferenceSite[], parameters: Map<string, ParameterDefinition>): void {
    const isReferenced = (path: FieldPath): boolean => sites.some((site) => isWithin(path, site.path) || isWithin(site.path, path));
    const model = asRecord(file.model);
    const training = asRecord(file.training);

    if (model?.type === 'simple-cnn' && training?.fine_tune !== undefined) {
      this.add({
        path: ['training', 'fine_tune'],
        message: 'fine_tune applies to transfer models only; remove it or set model.type: transfer',
        atKey: true,
      });
    }

    const method = asRecord(file.search)?.method ?? 'grid';
    if (method === 'grid') {
      for (const [name, definition] of parameters) {
        if (definition.distribution === 'uniform' || definition.distribution === 'log_uniform') {
          this.add({
            path: ['parameters', name, 'distribution'],
            message: `a continuous distribution cannot be expanded in a grid, got ${definition.distribution}; list values instead, or set search.method: random`,
          });
        }
      }
    }

    const baseline = file.baseline;
    if (baseline !== undefined && baseline !== false) {
      for (const site of sites) {
        if (isWithin(site.path, ['dataset'])) {
          this.add({ path: site.path, message: 'the dataset cannot reference a parameter in a sweep with a baseline, because the baseline trains on the same data' });
        }
      }
      const baselineTraining = asRecord(asRecord(baseline)?.training);
      for (const key of ['batch_size', 'seed'] as const) {
        if (isReferenced(['training', key]) && baselineTraining?.[key] === undefined) {
          this.add({ path: ['baseline'], message: `training.${key} is a parameter, so set baseline.training.${key} for the baseline trial`, atKey: true });
        }
      }
    }

    if (typeof file.artifacts === 'string' && file.artifacts !== '') {
      const location = parseArtifactLocation(file.artifacts);
      if ('problem' in location) {
        this.add({ path: ['artifacts'], message: `${location.problem}, got ${renderValue(file.artifacts)}; ${location.fix}` });
      }
    }
  }

  private buildSpec(parsed: SweepFile, file: Record<string, unknown>, sites: ReferenceSite[], parameters: Map<string, ParameterDefinition>): SweepSpec {
    const template = {
      dataset: structuredClone(file.dataset),
      model: structuredClone(file.model),
      training: structuredClone(file.training),
    };
    const ranking: RankingKey[] = [
      { metric: parsed.ranking.metric, order: parsed.ranking.order ?? defaultOrder(parsed.ranking.metric) },
      ...parsed.ranking.tie_breaks
        .filter((key) => key.metric !== parsed.ranking.metric)
        .map((key) => ({ metric: key.metric, order: key.order ?? defaultOrder(key.metric) })),
    ];
    let baseline: SweepSpec['baseline'];
    if (parsed.baseline === true) {
      baseline = sweepFileSchema.shape.baseline.parse({}) as NonNullable<SweepSpec['baseline']>;
    } else if (parsed.baseline !== undefined && parsed.baseline !== false) {
      baseline = parsed.baseline;
    }
    const artifacts = parsed.artifacts === undefined ? undefined : parseArtifactLocation(parsed.artifacts);

    const spec: SweepSpec = {
      name: parsed.name,
      source_file: this.source.fileName,
      template,
      parameters: Object.fromEntries(parameters),
      references: sites,
      search: parsed.search,
      ranking,
      resources: parsed.resources,
    };
    if (parsed.description !== undefined) spec.description = parsed.description;
    if (baseline !== undefined) spec.baseline = baseline as NonNullable<SweepSpec['baseline']>;
    if (artifacts !== undefined && !('problem' in artifacts)) spec.artifacts = artifacts;
    if (parsed.pruning !== undefined) spec.pruning = parsed.pruning;
    return spec;
  }

  private render(path: FieldPath, value: unknown): string {
    if (typeof value === 'number' || typeof value === 'boolean') {
      // Numbers as written (1e-5 stays 1e-5); a reference's own text is not the value.
      const text = this.source.sourceText(path);
      return text !== undefined && !text.includes('${') ? text : renderValue(value);
    }
    return renderValue(value);
  }

  private add(problem: FieldProblem): void {
    const key = `${formatPath(problem.path)}\u0000${problem.message}`;
    if (this.seen.has(key)) {
      return;
    }
    this.seen.add(key);
    this.problems.push(problem);
  }

  private error(): ValidationError {
    const problems: Problem[] = this.problems.map((problem) => {
      const { line, column } = this.source.position(problem.path, { key: problem.atKey });
      return { file: this.source.fileName, line, column, path: formatPath(problem.path), message: problem.message };
    });
    problems.sort((a, b) => a.line - b.line || a.column - b.column);
    return new ValidationError(problems);
  }
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function defaultOrder(metric: string): 'asc' | 'desc' {
  return DESCENDING_METRICS.has(metric) ? 'desc' : 'asc';
}

// The values checked at the fields that reference a parameter: every listed value,
// or a distribution's two bounds.
function candidatesOf(name: string, definition: ParameterDefinition, rawParameters: unknown): Candidate[] {
  const path: FieldPath = ['parameters', name];
  const raw = (rawParameters as Record<string, unknown>)[name];
  switch (definition.distribution) {
    case 'choice': {
      const listPath = Array.isArray(raw) ? path : [...path, 'values'];
      return definition.values.map((value, index) => ({ value, path: [...listPath, index] }));
    }
    case 'integer': {
      const last = definition.low + Math.floor((definition.high - definition.low) / definition.step) * definition.step;
      return [
        { value: definition.low, path: [...path, 'low'] },
        { value: last, path: [...path, 'high'] },
      ];
    }
    default:
      return [
        { value: definition.low, path: [...path, 'low'] },
        { value: definition.high, path: [...path, 'high'] },
      ];
  }
}

/** Parses `s3://bucket/prefix` or a folder path; returns the problem and its fix when the location is invalid. */
export function parseArtifactLocation(uri: string): ArtifactLocation | { problem: string; fix: string } {
  const s3 = /^s3:\/\/([^/]*)\/?(.*)$/.exec(uri);
  if (s3 !== null) {
    const bucket = s3[1];
    // S3 bucket naming rules: 3-63 characters of a-z, 0-9, dot and dash, starting and ending with a letter or digit.
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
      return { problem: 'invalid S3 bucket name', fix: 'use 3-63 lowercase letters, digits, dots and dashes, as in s3://my-bucket/sweeps' };
    }
    return { kind: 's3', uri, bucket, prefix: s3[2].replace(/\/+$/, '') };
  }
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(uri)) {
    return { problem: 'unsupported artifact location', fix: 'use s3://bucket/prefix or a folder path' };
  }
  return { kind: 'folder', uri, path: uri };
}
