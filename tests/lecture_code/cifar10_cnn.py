# The lecture's Keras code for CIFAR-10 (lecture.md, "The CIFAR01 data set" to "Finally,
# evaluate the model"), its code blocks in order, verbatim except:
#
#   (a) IMPORT   `import tensorflow as tf` and the tensorflow.keras imports become sigconv.nn
#                imports of the same names;
#   (b) REDUCED  10 epochs -> 2. The data are what `datasets.cifar10.load_data()` finds: the
#                test writes a few hundred images of sigconv.datasets.synthetic_cifar10 as a
#                cifar-10-python.tar.gz into $SIGCONV_DATA (no download);
#   (c) CHANGED  `tf.keras.losses.` -> `losses.` (sigconv has no `tf.keras` namespace), and two
#                stray lines of the lecture's text inside its code blocks (a sentence and a
#                "|") are commented out.
#
# Each changed line is marked with its letter and keeps the original in its comment.
# tests/test_nn_keras_layout.py runs this file and checks what it leaves behind.
# ruff: noqa  (the lecture's code as written)

# ---- block: The CIFAR01 data set
from sigconv.nn import losses  # (a) IMPORT: import tensorflow as tf

from sigconv.nn import datasets, layers, models  # (a) IMPORT: from tensorflow.keras import datasets, layers, models
import matplotlib.pyplot as plt

# We import the data set
(train_images, train_labels), (test_images, test_labels) = datasets.cifar10.load_data()

# Normalize pixel values to be between 0 and 1 by dividing by 255.
train_images, test_images = train_images / 255.0, test_images / 255.0

# ---- block: Verifying the data set
class_names = ['airplane', 'automobile', 'bird', 'cat', 'deer',
               'dog', 'frog', 'horse', 'ship', 'truck']

plt.figure(figsize=(10,10))
for i in range(25):
    plt.subplot(5,5,i+1)
    plt.xticks([])
    plt.yticks([])
    plt.grid(False)
    plt.imshow(train_images[i], cmap=plt.cm.binary)
    # The CIFAR labels happen to be arrays,
    # which is why you need the extra index
    plt.xlabel(class_names[train_labels[i][0]])
plt.show()

# ---- block: Set up the model
model = models.Sequential()
model.add(layers.Conv2D(32, (3, 3), activation='relu', input_shape=(32, 32, 3)))
model.add(layers.MaxPooling2D((2, 2)))
model.add(layers.Conv2D(64, (3, 3), activation='relu'))
model.add(layers.MaxPooling2D((2, 2)))

# ---- block


model.add(layers.Conv2D(64, (3, 3), activation='relu'))

# Let's display the architecture of our model so far.

model.summary()


# ---- block: Add Dense layers on top


model.add(layers.Flatten())
model.add(layers.Dense(64, activation='relu'))
model.add(layers.Dense(10))
# Here's the complete architecture of our model.  # (c) CHANGED: the lecture's text, commented out

model.summary()


# ---- block: Compile and train the model


model.compile(optimizer='adam',
              loss=losses.SparseCategoricalCrossentropy(from_logits=True),  # (c) CHANGED: loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=['accuracy'])

# |  # (c) CHANGED: a stray "|" of the lecture, commented out
history = model.fit(train_images, train_labels, epochs=2,  # (b) REDUCED: epochs=10,
                   validation_data=(test_images, test_labels))


# ---- block: Finally, evaluate the model


plt.plot(history.history['accuracy'], label='accuracy')
plt.plot(history.history['val_accuracy'], label = 'val_accuracy')
plt.xlabel('Epoch')
plt.ylabel('Accuracy')
plt.ylim([0.5, 1])
plt.legend(loc='lower right')


# ---- block
test_loss, test_acc = model.evaluate(test_images, test_labels, verbose=2)
print(test_acc)
