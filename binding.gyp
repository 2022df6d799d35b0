{
  "variables": {
    "torch_cflags_cc": ["-std=c++17", "-frtti", "-O2", "<!@(node scripts/find-libtorch.js --cxxflags)"]
  },
  "targets": [
    {
      "target_name": "torch_unet_core",
      "type": "static_library",
      "sources": ["<!@(node -p \"require('fs').readdirSync('native/core', { recursive: true }).filter(f => f.endsWith('.cc')).sort().map(f => 'native/core/' + f).join(' ')\")"],
      "include_dirs": ["native", "<!@(node scripts/find-libtorch.js --include-dirs)"],
      "defines": ["<!@(node scripts/find-libtorch.js --defines)"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17"],
      "cflags_cc": ["<@(torch_cflags_cc)"]
    },
    {
      "target_name": "torch_unet",
      "sources": ["<!@(node -p \"require('fs').readdirSync('native/addon').filter(f => f.endsWith('.cc')).sort().map(f => 'native/addon/' + f).join(' ')\")"],
      "include_dirs": ["native", "<!@(node scripts/find-libtorch.js --include-dirs)"],
      "dependencies": ["torch_unet_core", "<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc!": ["-fno-rtti", "-std=gnu++17"],
      "cflags_cc": ["<@(torch_cflags_cc)"],
      "ldflags": ["<!@(node scripts/find-libtorch.js --ldflags)"],
      "libraries": ["<!@(node scripts/find-libtorch.js --libraries)"]
    }
  ]
}
