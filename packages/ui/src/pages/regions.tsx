import { api } from '../api';
import { ErrorBox, Facts, Loading, Time, useLoad, useTitle } from '../components';
import { LagChart } from '../lag-chart';
import { useReplicationFeed } from '../replication-feed';

/**
 * Every region the agent knows, authoritative first. A follower shows its
 * replication (phase, applied index, index lag, lag, last error) and a live
 * lag chart; the authoritative region shows who streams from it. Other
 * regions are read through this agent (`?region=`).
 */
export function RegionsPage() {
  useTitle('Regions');
  const known = useLoad(async () => {
    const [regions, local] = await Promise.all([api().regions(), api().replicationStatus()]);
    const auth = local.data.AuthoritativeRegion;
    const sorted = [...regions.data].sort((a, b) => (a === auth ? -1 : b === auth ? 1 : a.localeCompare(b)));
    return { regions: sorted, authoritative: auth, here: local.data.Region };
  }, []);
  return (
    <section>
      <h1>Regions</h1>
      <ErrorBox error={known.error} />
      {known.loading && known.data === undefined && <Loading what="regions" />}
      {known.data && (
        <div class="regions">
          {known.data.regions.map((r) => (
            <RegionCard key={r} region={r} authoritative={r === known.data!.authoritative} here={r === known.data!.here} />
          ))}
        </div>
      )}
    </section>
  );
}

function RegionCard({ region, authoritative, here }: { region: string; authoritative: boolean; here: boolean }) {
  const feed = useReplicationFeed(region);
  const s = feed.status;
  const src = s?.Sources[0];
  // Red: the region cannot be read, or a follower is not streaming.
  const healthy = feed.error === undefined && s !== undefined && (authoritative || src?.Streaming === true);
  const state = s === undefined && feed.error === undefined ? 'loading' : healthy ? 'ok' : 'bad';
  const summary = feed.error !== undefined ? 'unreachable' : authoritative ? 'serving' : (src?.Phase ?? 'not replicating');
  return (
    <article class={`region ${state}`} data-region={region} data-state={state} aria-labelledby={`region-${region}`}>
      <header>
        <h2 id={`region-${region}`}>
          <span class="dot" aria-hidden="true" /> {region}
        </h2>
        <span class="badges">
          {authoritative && <span class="badge">authoritative</span>}
          {here && <span class="badge">this agent</span>}
          <span class={`badge state-${state}`} data-testid="phase">
            {summary}
          </span>
        </span>
      </header>
      {feed.error !== undefined && <ErrorBox error={feed.error} />}
      {s?.Counts && (
        <p class="counts" data-testid="counts">
          {plural(s.Counts.GlobalTokens, 'global token')} · {plural(s.Counts.LocalTokens, 'local token')} ·{' '}
          {plural(s.Counts.Policies, 'policy', 'policies')}
        </p>
      )}
      {s === undefined && feed.error === undefined && <Loading what="status" />}
      {s !== undefined && authoritative && (
        <>
          <p class="muted">Owns policies, global tokens and bootstrap; followers stream from it.</p>
          {s.Followers.length === 0 ? (
            <p>No follower is streaming from this agent.</p>
          ) : (
            <Facts rows={s.Followers.map((f) => [f.Region, <>streaming, sent index {f.SentIndex} (since <Time value={f.Since} />)</>] as const)} />
          )}
        </>
      )}
      {s !== undefined && !authoritative && src === undefined && <p>This region does not replicate (no authoritative peers configured).</p>}
      {src !== undefined && (
        <>
          {feed.error !== undefined && <p class="muted small">Last known state:</p>}
          <Facts
            rows={[
              ['Replicating from', `${src.SourceRegion}${src.Peer ? ` (${src.Peer})` : ''}`],
              ['Streaming', src.Streaming ? 'yes' : 'no'],
              ['Applied index', <span data-testid="applied">{src.AppliedIndex}</span>],
              ['Index lag', <span data-testid="index-lag">{src.IndexLag}</span>],
              ['Lag', <span data-testid="lag">{src.LagSeconds.toFixed(3)} s</span>],
              ['Last success', <Time value={src.LastSuccessTime} />],
              [
                'Last error',
                src.LastError === null ? (
                  <span class="muted">none</span>
                ) : (
                  <>
                    <Time value={src.LastError.Time} />: {src.LastError.Message}
                  </>
                ),
              ],
            ]}
          />
        </>
      )}
      {!authoritative && <LagChart samples={feed.samples} label={`Replication lag of ${region}, last 15 minutes`} />}
      <p class="muted small">
        Updated <Time value={feed.updatedMs === undefined ? undefined : new Date(feed.updatedMs).toISOString()} empty="—" /> (live: the agent
        answers when the status changes)
      </p>
    </article>
  );
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
