import { loadConfig, NatsConfig } from '#libs/config';
import { NatsClient } from '#libs/nats';

/** Connects with the same NATS_* variables as the apps, so chatctl sees the deployment they see. */
export async function connectNats(name: string): Promise<NatsClient> {
  const { nats } = loadConfig({ nats: NatsConfig });
  return NatsClient.connect(nats, `chatctl-${name}`);
}

export async function withNats<T>(name: string, run: (client: NatsClient) => Promise<T>): Promise<T> {
  const client = await connectNats(name);
  try {
    return await run(client);
  } finally {
    await client.close();
  }
}
