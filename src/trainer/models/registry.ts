import type { ModelConfig } from '../../spec/trial-config.ts';
import type { BuildOptions, BuiltModel, ModelBuilder } from './model-builder.ts';

const builders = new Map<string, ModelBuilder>();

/**
 * Modules that register the builders shipped with sweep. A module is imported the
 * first time its key is requested, so a worker that trains only the simple CNN
 * never loads the MobileNetV2 code.
 */
const builtInModules: Readonly<Record<string, string>> = {
  'simple-cnn': './simple-cnn.ts',
  'transfer:mobilenet_v2': './mobilenet-v2.ts',
};

/**
 * Returns the registry key of a model config: `simple-cnn`, or `transfer:<base name>`
 * (for example `transfer:mobilenet_v2`).
 */
export function modelKey(config: ModelConfig): string {
  if (config.type === 'simple-cnn') {
    return 'simple-cnn';
  }
  return `transfer:${config.base.name}`;
}

/** Returns the keys of the builders that ship with sweep. */
export function builtInModelKeys(): string[] {
  return Object.keys(builtInModules);
}

/** Registers the builder for one model key; a later registration replaces an earlier one. */
export function registerModel(key: string, builder: ModelBuilder): void {
  builders.set(key, builder);
}

/** Returns the keys that have a builder now, sorted (built-in modules not yet imported are left out). */
export function registeredModels(): string[] {
  return [...builders.keys()].sort();
}

/**
 * Returns the builder for a key, importing the built-in module that registers it
 * when needed, or undefined when no builder exists for the key.
 */
export async function findModelBuilder(key: string): Promise<ModelBuilder | undefined> {
  const registered = builders.get(key);
  if (registered !== undefined) {
    return registered;
  }
  const modulePath = builtInModules[key];
  if (modulePath === undefined) {
    return undefined;
  }

  // The specifier is computed so that the type checker does not require a module
  // that another part of the project may not have written yet.
  const url = new URL(modulePath, import.meta.url).href;
  try {
    await import(url);
  } catch (error) {
    if (isModuleNotFound(error, url)) {
      return undefined;
    }
    throw error;
  }
  return builders.get(key);
}

/** Builds the model a config describes with its registered builder. */
export async function buildModel(config: ModelConfig, options: BuildOptions): Promise<BuiltModel> {
  const key = modelKey(config);
  const builder = await findModelBuilder(key);
  if (builder === undefined) {
    const known = [...new Set([...builders.keys(), ...Object.keys(builtInModules)])].sort().join(', ');
    throw new Error(`no model builder is registered for "${key}"; known models: ${known}`);
  }
  return builder(config, options);
}

function isModuleNotFound(error: unknown, url: string): boolean {
  if (!(error instanceof Error)) {
    return false;
  }
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ERR_MODULE_NOT_FOUND' && error.message.includes(new URL(url).pathname.split('/').pop() ?? url);
}
