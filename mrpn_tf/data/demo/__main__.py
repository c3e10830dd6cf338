"""`python -m mrpn_tf.data.demo`: generate the offline demo set (see demo_set.main)."""

from mrpn_tf.data.demo import demo_set

demo_set.main()
