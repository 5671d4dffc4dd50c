/* kinlab/kinlab.h - everything a plugin or an embedding program includes. */
#ifndef KINLAB_KINLAB_H
#define KINLAB_KINLAB_H
#include <kinlab/status.h>
#include <kinlab/params.h>
#include <kinlab/plugin.h>
#include <kinlab/kinds.h>
#include <kinlab/host.h>
#endif
