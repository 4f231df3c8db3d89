/**
 * Registers faster kernels for TensorFlow.js' pure-JS cpu backend. The trainer
 * calls it once after selecting the cpu backend. This placeholder installs none.
 */
export function installCpuKernels(): { installed: string[] } {
  return { installed: [] };
}
