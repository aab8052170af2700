import { useState } from 'react';
import type { DeployResult } from '../../shared/api/deployment';
import { navigate } from '../app/router';
import { describeError } from '../panels/runController';
import { useUi } from '../store/uiStore';
import { deployApi } from './api';
import { DeployResultModal } from './DeployResultModal';

/**
 * The canvas toolbar's one-click Deploy: deploys the saved flow as the next version and
 * shows the endpoint URL, (first deploy) the API key once, what changed since the live
 * version with a Roll back, or that nothing changed (then nothing is deployed). `beforeDeploy` lets the
 * editor save unsaved changes first (it should reject to cancel).
 */
export function DeployButton({ flowId, beforeDeploy }: { flowId: string; beforeDeploy?: () => Promise<void> }) {
  const toast = useUi((s) => s.toast);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<DeployResult | null>(null);
  const deploy = async () => {
    setBusy(true);
    try {
      await beforeDeploy?.();
      setResult(await deployApi.deploy(flowId, {}));
    } catch (e) {
      toast('error', describeError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button
        className="btn btn-primary"
        data-testid="deploy-button"
        disabled={busy}
        onClick={() => void deploy()}
        title="Deploy this flow as a versioned HTTP endpoint"
      >
        {busy ? 'Deploying…' : 'Deploy'}
      </button>
      {result && (
        <DeployResultModal
          result={result}
          onClose={() => setResult(null)}
          footer={
            <button className="btn" onClick={() => navigate(`/deployments/${result.slug}`)}>
              Open deployment
            </button>
          }
        />
      )}
    </>
  );
}
