// Minimal typings for the parts of sodium-native 4 that src/seal/sodium-native.ts uses.
declare module 'sodium-native' {
  const sodium: Record<string, any>;
  export = sodium;
}
