/** The reported loss of DESIGN §2 from global-batch means, and the schedule values it used. */
import { continuousCapacity, discreteCapacity, temperatureAt, type TrainConfig } from '@jvae/model/config';

export interface LossTerms {
  recon: number;
  klCont: number;
  klDisc: number;
}

export interface StepLossReport {
  loss: number;
  capacities: { cont: number; disc: number };
  tau: number;
}

/** loss = recon + gamma_c |C_cont(t) - KL_cont| + gamma_d |C_disc(t) - KL_disc|. */
export function stepLoss(config: TrainConfig, t: number, terms: LossTerms): StepLossReport {
  const { continuous, discrete } = config.capacity;
  const cont = continuousCapacity(continuous, t);
  const disc = discreteCapacity(discrete, t, config.latent.discrete);
  const loss =
    terms.recon + continuous.gamma * Math.abs(cont - terms.klCont) + discrete.gamma * Math.abs(disc - terms.klDisc);
  return { loss, capacities: { cont, disc }, tau: temperatureAt(config, t) };
}
