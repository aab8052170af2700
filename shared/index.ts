export * from './ports';
export * from './template';
export * from './flow/schema';
export * from './flow/index';
export * from './nodes/define';
export * from './nodes/registry';
export * from './runtime/events';
