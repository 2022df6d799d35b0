{
  "targets": [
    {
      "target_name": "torch_unet",
      "sources": ["<!@(node -p \"require('fs').readdirSync('native').filter(f => f.endsWith('.cc')).map(f => 'native/' + f).join(' ')\")"],
      "include_dirs": ["<!@(node scripts/find-libtorch.js --include-dirs)"],
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
      "defines": ["NAPI_VERSION=8", "NODE_ADDON_API_DISABLE_DEPRECATED"],
      "cflags_cc!": ["-fno-rtti", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-frtti", "-O2", "<!@(node scripts/find-libtorch.js --cxxflags)"],
      "ldflags": ["<!@(node scripts/find-libtorch.js --ldflags)"],
      "libraries": ["<!@(node scripts/find-libtorch.js --libraries)"]
    }
  ]
}
