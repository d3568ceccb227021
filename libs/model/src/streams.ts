/** The model's families of counter-based draws; a stream tag keeps them from ever sharing coordinates. */
export const Stream = {
  weights: 1,
  gaussian: 2,
  gumbel: 3,
} as const;
export type Stream = (typeof Stream)[keyof typeof Stream];
