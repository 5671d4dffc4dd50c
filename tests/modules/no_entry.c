/* A shared object without the kinlab entry point. */
int not_a_kinlab_plugin(void);
int not_a_kinlab_plugin(void) { return 42; }
