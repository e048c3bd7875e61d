// SPDX-License-Identifier: GPL-2.0
/* The tracepoints' one definition (trace.h says what they are). */
#include "kvmini.h"

#include <asm/svm.h>
#include <asm/vmx.h>

#define CREATE_TRACE_POINTS
#include "trace.h"
