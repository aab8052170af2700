import { useState } from 'react';
import { NumberInput } from '../ui/NumberInput';

export const UNITS: Array<[string, number]> = [
  ['seconds', 1_000],
  ['minutes', 60_000],
  ['hours', 3_600_000],
  ['days', 86_400_000],
];

/** The largest unit that states `ms` exactly (minutes for nothing yet). */
export function unitFor(ms: number | undefined): number {
  if (ms === undefined) return 60_000;
  for (let i = UNITS.length - 1; i >= 0; i--) if (ms % UNITS[i][1] === 0) return UNITS[i][1];
  return 1_000;
}

/** A duration stored in milliseconds, edited as an amount and a unit; empty means none. */
export function DurationInput({
  value,
  onChange,
  label,
  max,
}: {
  value: number | undefined;
  onChange(ms: number | undefined): void;
  label: string;
  max?: number;
}) {
  const [unit, setUnit] = useState(() => unitFor(value));
  const amount = value === undefined ? undefined : value / unit;
  return (
    <div className="duration-input">
      <NumberInput
        label={label}
        value={amount}
        allowEmpty
        min={unit === 1_000 ? 0.001 : 0}
        max={max !== undefined ? max / unit : undefined}
        placeholder="none"
        onChange={(n) => onChange(n === undefined || n === 0 ? undefined : Math.round(n * unit))}
      />
      <select
        className="input"
        aria-label={`${label} unit`}
        value={unit}
        onChange={(e) => {
          const next = Number(e.target.value);
          setUnit(next);
          if (amount !== undefined) onChange(Math.round(amount * next));
        }}
      >
        {UNITS.map(([name, ms]) => (
          <option key={name} value={ms}>
            {name}
          </option>
        ))}
      </select>
    </div>
  );
}
