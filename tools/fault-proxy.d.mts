export interface Fault {
  mode: 'none' | 'cut' | 'reset' | 'stall' | 'corrupt';
  afterBytes?: number;
  direction?: 'up' | 'down' | 'both';
  connections?: number;
}
export interface FaultProxy {
  port: number;
  stats: { connections: number; faulted: number; bytesUp: number; bytesDown: number };
  setFault(fault: Fault): void;
  clearFault(): void;
  dropAll(): void;
  close(): Promise<void>;
}
export function startFaultProxy(options: {
  targetHost?: string;
  targetPort: number;
  port?: number;
}): Promise<FaultProxy>;
