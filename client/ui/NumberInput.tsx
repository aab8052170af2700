import { useEffect, useId, useState } from 'react';

export interface NumberInputProps {
  /** The saved value; `undefined` shows an empty field (the placeholder, e.g. a default). */
  value: number | undefined;
  /** Called only with what the user typed when it is valid (`undefined` = emptied, if allowed). */
  onChange(value: number | undefined): void;
  /** Told whether the text in the field is valid, so a form can refuse to save. */
  onValidity?(valid: boolean): void;
  min?: number;
  max?: number;
  integer?: boolean;
  /** Empty means "use the default" (else an empty field is an error). */
  allowEmpty?: boolean;
  label: string;
  placeholder?: string;
  className?: string;
  testId?: string;
}

/** Full-width digits and signs (typed with a Japanese IME) read as ASCII. */
export function toHalfWidth(text: string): string {
  return text
    .normalize('NFKC')
    .replace(/\u2212/g, '-')
    .trim();
}

const show = (n: number) => n.toLocaleString('en-US');
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** Why `text` is not an acceptable value, or null. */
export function numberProblem(
  text: string,
  opts: Pick<NumberInputProps, 'min' | 'max' | 'integer' | 'allowEmpty'>,
): string | null {
  const t = toHalfWidth(text);
  if (t === '') return opts.allowEmpty ? null : 'Enter a number.';
  if (!NUMBER.test(t)) return 'Enter a number, e.g. 600.';
  const n = Number(t);
  if (opts.integer && !Number.isInteger(n)) return 'Enter a whole number.';
  if (opts.min !== undefined && n < opts.min)
    return opts.max !== undefined
      ? `Enter a number from ${show(opts.min)} to ${show(opts.max)}.`
      : `Enter ${show(opts.min)} or more.`;
  if (opts.max !== undefined && n > opts.max)
    return opts.min !== undefined
      ? `Enter a number from ${show(opts.min)} to ${show(opts.max)}.`
      : `Enter ${show(opts.max)} or less.`;
  return null;
}

/**
 * A number field that keeps exactly what the user types: it may be empty or half-typed
 * ("-", "1e") while editing, shows an inline error for out-of-range or non-numbers, and
 * passes on only valid values. It never rewrites the text (no "05" from "-5").
 */
export function NumberInput(props: NumberInputProps) {
  const { value, onChange, onValidity, label, placeholder, className, testId } = props;
  const [text, setText] = useState(value === undefined ? '' : String(value));
  const errorId = useId();
  // A new value from outside (another selection, a reload) replaces the text unless the
  // text already means that value.
  useEffect(() => {
    setText((t) =>
      (toHalfWidth(t) !== '' && Number(toHalfWidth(t)) === value) || (toHalfWidth(t) === '' && value === undefined)
        ? t
        : value === undefined
          ? ''
          : String(value),
    );
  }, [value]);
  const problem = numberProblem(text, props);
  useEffect(() => onValidity?.(problem === null), [problem, onValidity]);
  return (
    <>
      <input
        className={className ?? 'input'}
        type="text"
        inputMode={props.integer && (props.min ?? 0) >= 0 ? 'numeric' : 'decimal'}
        aria-label={label}
        aria-invalid={problem !== null}
        aria-describedby={problem ? errorId : undefined}
        value={text}
        placeholder={placeholder}
        data-testid={testId}
        onChange={(e) => {
          const t = e.target.value;
          setText(t);
          if (numberProblem(t, props) !== null) return;
          onChange(toHalfWidth(t) === '' ? undefined : Number(toHalfWidth(t)));
        }}
      />
      {problem && (
        <span className="field-error" id={errorId} role="alert">
          {problem}
        </span>
      )}
    </>
  );
}
