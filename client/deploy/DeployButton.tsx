import { useState } from 'react';
import type { DeployResult } from '../../shared/api/deployment';
import { navigate } from '../app/router';
import { describeError } from '../panels/runController';
import { useUi } from '../store/uiStore';
import { Modal } from '../ui/Modal';
import { deployApi } from './api';
import { CopyBlock } from './CopyBlock';

/**
 * The canvas toolbar's one-click Deploy: deploys the saved flow as the next version and
 * shows the endpoint URL and (first deploy) the API key once. `beforeDeploy` lets the
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
        <Modal
          title={`Deployed ${result.slug} v${result.version}`}
          onClose={() => setResult(null)}
          footer={
            <button className="btn" onClick={() => navigate(`/deployments/${result.slug}`)}>
              Open deployment
            </button>
          }
        >
          <CopyBlock code={result.url} />
          {result.flows.length > 1 ? (
            <p className="small" data-testid="deployed-flows">
              This version freezes {result.flows.length} flows: {result.flows.join(', ')} (editing a called flow later
              does not change it).
            </p>
          ) : null}
          {result.apiKey ? (
            <>
              <p>API key — shown once:</p>
              <CopyBlock code={result.apiKey} testId="new-api-key" />
            </>
          ) : (
            <p className="muted">Existing keys now call v{result.version}. Roll back from the deployment page.</p>
          )}
        </Modal>
      )}
    </>
  );
}
