/** The flow-file layer: schema, migrations, validation, stable serialization and graph helpers. */
export * from './schema';
export * from './migrate';
export * from './validate';
export * from './serialize';
export * from './graph';
export { checkTemplates, templateFields, type TemplateIssue } from './templates';
export * from './closure';
export * from './diff';
export * from './diff-text';
