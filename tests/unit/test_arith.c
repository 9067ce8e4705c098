/* test_arith.c: placeholder until the table-driven cases land. */
#include "tf_test.h"
#include "tracefarm/arith.h"

int main(void)
{
    CHECK(tf_arith_reason_name(TF_ARITH_R_NONE) != NULL);
    return tf_test_done();
}
