// `torch-unet info`: what libtorch runs on here.
import { backendInfo } from '../runtime/backend.js';

export function info(options: { json?: boolean }): void {
  const backend = backendInfo();
  if (options.json) {
    console.log(JSON.stringify(backend));
    return;
  }
  console.log(`libtorch  ${backend.torchVersion}`);
  console.log(`BLAS      ${backend.blas}`);
  console.log(`threads   ${backend.threads}`);
  console.log(`CUDA      ${backend.cuda ? `yes, ${backend.cudaDevices} device(s)` : 'no'}`);
  console.log(`CPU bf16  ${backend.cpuBf16 ? (backend.cpuAmx ? 'yes (AMX)' : 'yes (AVX512-BF16)') : 'no'}; precision 'auto' is ${backend.autoPrecision}`);
}
