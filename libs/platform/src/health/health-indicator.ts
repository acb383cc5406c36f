/** One dependency that /readyz checks. `check` rejects (or times out) when the dependency is down. */
export interface HealthIndicator {
  readonly name: string;
  check(): Promise<void>;
}

export interface DependencyStatus {
  status: 'up' | 'down';
  latencyMs: number;
  error?: string;
}

export interface ReadinessReport {
  status: 'ready' | 'not_ready';
  dependencies: Record<string, DependencyStatus>;
}
