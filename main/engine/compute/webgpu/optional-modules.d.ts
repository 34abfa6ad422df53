// `webgpu` (Dawn for Node) is an optional dependency: where its install is skipped or fails, the type check must
// still pass. device.ts imports it dynamically and casts it to the small surface it uses (create, globals), so the
// package's own types are not needed.
declare module 'webgpu';
