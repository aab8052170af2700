/**
 * The flow name field of the New flow and Rename dialogs: focused on open, Enter submits
 * (the dialog decides whether the name is acceptable).
 */
export function FlowNameField({
  value,
  placeholder,
  onChange,
  onEnter,
}: {
  value: string;
  placeholder?: string;
  onChange(value: string): void;
  onEnter(): void;
}) {
  return (
    <label className="field">
      <span className="field-label">Name</span>
      <input
        className="input"
        autoFocus
        aria-label="Flow name"
        value={value}
        placeholder={placeholder}
        onChange={(e) => onChange(e.target.value)}
        onKeyDown={(e) => e.key === 'Enter' && onEnter()}
      />
    </label>
  );
}
