import { useEffect } from 'react';
import { pollTasks, useTasks } from './taskStore';

/** The sidebar's count of pending tasks (hidden when there are none). */
export function InboxBadge() {
  const count = useTasks((s) => s.tasks?.length ?? 0);
  useEffect(() => pollTasks(false), []);
  if (!count) return null;
  return (
    <b className="nav-badge" data-testid="inbox-badge" aria-label={`${count} pending`}>
      {count > 99 ? '99+' : count}
    </b>
  );
}
