/* BGPPeer decoding, shared by the served versions (config/decode_bgppeer*.c only). */
#ifndef VIPCAST_CONFIG_DECODE_BGPPEER_H
#define VIPCAST_CONFIG_DECODE_BGPPEER_H

#include "decode.h"
#include "object.h"

#define BGPPEER_V1BETA1 "metallb.io/v1beta1"

/* Defaults and cross-field checks of a decoded v1beta2 spec (or a converted v1beta1 one). */
void bgp_peer_check(struct dec *d, struct object *o);
void decode_bgp_peer_v1beta1(struct dec *d, const struct doc_node *root, struct object *o);

#endif
