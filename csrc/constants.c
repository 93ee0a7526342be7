/* The MPI handles that mpi.h defines as macros bindgen cannot see and that rsmpi's shim
 * does not export (see src/raw/rma.rs). Compiled by build.rs with the MPI's own compiler
 * wrapper, so each is the value of the MPI the crate links. */
#include <mpi.h>

MPI_Op mpikit_op_replace(void) { return MPI_REPLACE; }

MPI_Op mpikit_op_no_op(void) { return MPI_NO_OP; }
