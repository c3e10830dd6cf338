"""`python -m mrpn_tf.demo`: generate the offline demo set (see demo_set.main)."""

from mrpn_tf.demo import demo_set

demo_set.main()
