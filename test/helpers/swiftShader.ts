/**
 * SwiftShader, the Vulkan driver Debian's chromium package brings (chromium-common), on which the
 * webgpu backend runs on these CPU-only machines. Dawn finds it only in a process started with
 * VK_ICD_FILENAMES naming it and its folder on LD_LIBRARY_PATH (the dynamic loader reads that at
 * process start): tests run webgpu in a child process given {@link swiftShaderEnv}.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

/** SwiftShader's Vulkan ICD file. */
export const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Why SwiftShader cannot be used here, or null when it can. */
export const swiftShaderMissing: string | null = existsSync(SWIFTSHADER_ICD) ? null : `${SWIFTSHADER_ICD} is missing (Debian's chromium-common package brings it; .ci/run installs chromium)`;

/** This process's environment with SwiftShader named for Dawn. */
export function swiftShaderEnv(): NodeJS.ProcessEnv {
  return { ...process.env, VK_ICD_FILENAMES: SWIFTSHADER_ICD, LD_LIBRARY_PATH: [path.dirname(SWIFTSHADER_ICD), process.env['LD_LIBRARY_PATH']].filter(Boolean).join(':') };
}
