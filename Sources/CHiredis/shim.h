#ifndef COINDAILY_CHIREDIS_SHIM_H
#define COINDAILY_CHIREDIS_SHIM_H
#include <hiredis/hiredis.h>
#include <hiredis/read.h>
#endif
