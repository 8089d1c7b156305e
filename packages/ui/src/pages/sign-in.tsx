import { useState } from 'preact/hooks';
import { api } from '../api';
import { ErrorBox, useTitle } from '../components';
import { navigate } from '../router';
import { signIn } from '../session';

/** Sign in with a SecretID: checked against `/v1/acl/token/self` before it is kept. */
export function SignInPage() {
  useTitle('Sign in');
  const [secret, setSecret] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event): Promise<void> => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const s = secret.trim();
      // Checked with this secret before it is kept.
      await api().readSelfToken({ token: s });
      signIn(s);
      navigate('/tokens');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="narrow">
      <h1>Sign in</h1>
      <p>
        Paste a token's Secret ID. It stays in this browser tab (session storage) and is sent as <code>X-Nomad-Token</code>; closing
        the tab forgets it. Without signing in you see what the <code>anonymous</code> policy allows.
      </p>
      <form onSubmit={(e) => void submit(e)}>
        <label>
          Secret ID
          <input
            name="secret"
            type="password"
            autocomplete="off"
            spellcheck={false}
            required
            value={secret}
            onInput={(e) => setSecret(e.currentTarget.value)}
          />
        </label>
        <ErrorBox error={error} />
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
      </form>
    </section>
  );
}
