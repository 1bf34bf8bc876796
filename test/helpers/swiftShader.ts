/**
 * SwiftShader, the Vulkan driver Debian's chromium package brings (chromium-common), on which the
 * webgpu backend runs on these CPU-only machines. Dawn finds it only in a process started with
 * VK_ICD_FILENAMES naming it and its folder on LD_LIBRARY_PATH (the dynamic loader reads that at
 * process start): tests run webgpu in a child process given {@link swiftShaderEnv}.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './paths';

/** SwiftShader's Vulkan ICD file. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Why SwiftShader cannot be used here, or null when it can. */
export const swiftShaderMissing: string | null = existsSync(SWIFTSHADER_ICD) ? null : `${SWIFTSHADER_ICD} is missing (Debian's chromium-common package brings it; .ci/run installs chromium)`;

/** This process's environment with SwiftShader named for Dawn. */
export function swiftShaderEnv(): NodeJS.ProcessEnv {
  return { ...process.env, VK_ICD_FILENAMES: SWIFTSHADER_ICD, LD_LIBRARY_PATH: [path.dirname(SWIFTSHADER_ICD), process.env['LD_LIBRARY_PATH']].filter(Boolean).join(':') };
}

/**
 * Runs the tsx script `script` (relative to the repository) with `args` in a child given
 * {@link swiftShaderEnv}, and parses the JSON on its last stdout line (tfjs's cpu backend prints a
 * banner on stdout first); rejects with the end of its stderr when it fails or prints no JSON.
 */
export function swiftShaderChild<T>(script: string, args: readonly string[]): Promise<T> {
  const proc = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, script), ...args], { cwd: REPO_ROOT, env: swiftShaderEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    proc.on('error', reject);
    proc.on('close', (code) => {
      const last = stdout.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !last.startsWith('{')) reject(new Error(`${path.basename(script)} ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`));
      else resolve(JSON.parse(last) as T);
    });
  });
}
